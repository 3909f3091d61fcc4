"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.validateObjects = validateObjects;
const modelCache = new Map();
function modelFor(apiVersion, kind) {
    const key = `${apiVersion}/${kind}`;
    if (modelCache.has(key))
        return modelCache.get(key);
    let path;
    if (apiVersion.startsWith('argoproj.io/'))
        path = `@kubernetes-models/argo-cd/${apiVersion}/${kind}`;
    else if (!apiVersion.includes('/') || /\.k8s\.io\/|^(apps|batch|autoscaling|policy)\//.test(apiVersion))
        path = `kubernetes-models/${apiVersion}/${kind}`;
    let model = null;
    if (path) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(path);
        model = mod[kind] ?? null;
    }
    modelCache.set(key, model);
    return model;
}
const isObj = (v) => !!v && typeof v === 'object' && !Array.isArray(v);
const str = (v) => typeof v === 'string' && v.length > 0;
/** Structural checks for the CRDs that have no model package. */
const structural = {
    'monitoring.coreos.com/v1/ServiceMonitor': (o) => {
        const s = o.spec;
        const p = [];
        if (!isObj(s?.selector))
            p.push('spec.selector must be a label selector');
        if (!Array.isArray(s?.endpoints) || !s.endpoints.length)
            p.push('spec.endpoints must be a non-empty list');
        else
            s.endpoints.forEach((e, i) => !str(e.port) && p.push(`spec.endpoints[${i}].port must name a Service port`));
        return p;
    },
    'monitoring.coreos.com/v1/PrometheusRule': (o) => {
        const groups = o.spec?.groups;
        const p = [];
        if (!Array.isArray(groups) || !groups.length)
            return ['spec.groups must be a non-empty list'];
        groups.forEach((g, i) => {
            if (!str(g.name))
                p.push(`spec.groups[${i}].name is required`);
            if (!Array.isArray(g.rules) || !g.rules.length)
                p.push(`spec.groups[${i}].rules must be a non-empty list`);
            else
                g.rules.forEach((r, j) => {
                    if (!str(r.alert) || !str(r.expr))
                        p.push(`spec.groups[${i}].rules[${j}] needs alert and expr`);
                    if (r.for !== undefined && !/^\d+[smh]$/.test(String(r.for)))
                        p.push(`spec.groups[${i}].rules[${j}].for "${String(r.for)}" is not a duration`);
                });
        });
        return p;
    },
    'metallb.io/v1beta1/IPAddressPool': (o) => {
        const a = o.spec?.addresses;
        return Array.isArray(a) && a.length && a.every(str) ? [] : ['spec.addresses must be a non-empty list of ranges'];
    },
    'metallb.io/v1beta1/L2Advertisement': (o) => {
        const a = o.spec?.ipAddressPools;
        return a === undefined || (Array.isArray(a) && a.every(str)) ? [] : ['spec.ipAddressPools must be a list of pool names'];
    },
    'external-secrets.io/v1/ExternalSecret': (o) => {
        const s = o.spec;
        const p = [];
        if (!str(s?.secretStoreRef?.name) || !['SecretStore', 'ClusterSecretStore'].includes(String(s?.secretStoreRef?.kind)))
            p.push('spec.secretStoreRef needs a name and kind SecretStore or ClusterSecretStore');
        if (!str(s?.target?.name))
            p.push('spec.target.name is required');
        if (!Array.isArray(s?.data) || !s.data.length)
            p.push('spec.data must be a non-empty list');
        else
            s.data.forEach((d, i) => (!str(d.secretKey) || !str(d.remoteRef?.key)) && p.push(`spec.data[${i}] needs secretKey and remoteRef.key`));
        return p;
    },
    'external-secrets.io/v1/ClusterSecretStore': (o) => (isObj(o.spec?.provider) ? [] : ['spec.provider is required']),
};
/** Every schema problem of the given objects (empty when all validate). */
function validateObjects(objects) {
    const errors = [];
    for (const o of objects) {
        const id = `${o.kind ?? '?'}/${o.metadata?.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata?.name ?? '?'}`;
        if (!str(o.apiVersion) || !str(o.kind)) {
            errors.push({ object: id, message: 'apiVersion and kind are required' });
            continue;
        }
        if (!str(o.metadata?.name))
            errors.push({ object: id, message: 'metadata.name is required' });
        const key = `${o.apiVersion}/${o.kind}`;
        const check = structural[key];
        if (check) {
            for (const message of check(o))
                errors.push({ object: id, message });
            continue;
        }
        let model;
        try {
            model = modelFor(o.apiVersion, o.kind);
        }
        catch {
            model = null;
        }
        if (!model) {
            errors.push({ object: id, message: `no schema for ${key}: add a model or a structural check` });
            continue;
        }
        try {
            new model(o).validate();
        }
        catch (e) {
            errors.push({ object: id, message: e.message });
        }
    }
    return errors;
}
//# sourceMappingURL=validate.js.map