"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.MiB = void 0;
exports.newFolder = newFolder;
exports.egressOf = egressOf;
exports.clientsOf = clientsOf;
const cdk8s_1 = require("cdk8s");
function newFolder(app, folders, name) {
    const chart = new cdk8s_1.Chart(app, name, { disableResourceNameHashes: true });
    folders.set(name, chart);
    return chart;
}
/** Env variables that point outside the cluster (an HTTPS endpoint the workload calls). */
const EXTERNAL = /(_ENDPOINT|_BASE_URL)$/;
/**
 * Where a workload may connect, from its catalog dependencies: its PostgreSQL, Redis and
 * RabbitMQ servers, the services it calls, external HTTPS endpoints, plus extra rules.
 */
function egressOf(w, catalog, ns, extra = []) {
    const d = w.dependencies;
    const rules = [];
    const to = (server) => ({ ...(ns.get(server) ? { namespace: ns.get(server) } : {}), podLabels: { 'app.kubernetes.io/name': server } });
    for (const dep of [d.postgres, d.redis, d.amqp]) {
        if (!dep)
            continue;
        const server = catalog.get(dep.server);
        if (server.external)
            continue;
        rules.push({ peers: [to(server.name)], ports: [server.port] });
    }
    for (const s of d.services ?? [])
        rules.push({ peers: [to(s)], ports: [catalog.get(s).port] });
    if (Object.keys(w.env).some((k) => EXTERNAL.test(k)))
        rules.push({ peers: [{ cidr: '0.0.0.0/0' }], ports: [443] });
    return [...rules, ...extra];
}
/** Who may connect to a workload: the catalog workloads that depend on it. */
function clientsOf(server, catalog, ns) {
    return catalog.workloads
        .filter((w) => ns.has(w.name))
        .filter((w) => {
        const d = w.dependencies;
        return [d.postgres?.server, d.redis?.server, d.amqp?.server, ...(d.services ?? [])].includes(server.name);
    })
        .map((w) => ({ namespace: ns.get(w.name), podLabels: { 'app.kubernetes.io/name': w.name } }));
}
exports.MiB = 2 ** 20;
//# sourceMappingURL=common.js.map