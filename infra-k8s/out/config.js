"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.defaultConfig = void 0;
exports.configFromEnv = configFromEnv;
const catalog_1 = require("@hybrid/catalog");
exports.defaultConfig = {
    repoUrl: 'https://github.com/hybrid-platform/hybrid.git',
    revision: 'main',
    distPath: 'infra-k8s/dist',
    pi: {
        nodeMemoryMiB: 4096,
        systemReserveMiB: 512,
        lanPool: ['192.168.50.240-192.168.50.250'],
        advertiseRoutes: ['192.168.50.0/24'],
        awsVpcCidr: '10.20.0.0/16',
        webOrigin: 'https://drawguess.example.com',
        domain: 'game.drawguess.example.com',
    },
    kubeadm: {
        topology: 'per-service-14',
        nodeReserveMiB: 512,
        clusterName: 'waste-coach',
        region: 'ap-northeast-2',
        vpcCidr: '10.30.0.0/16',
        domain: 'api.wastecoach.example.com',
        backupBucket: 'waste-coach-backups',
        secretStore: 'aws-secrets-manager',
    },
};
/** The default configuration with the environment's overrides; bad values fail with the variable's name. */
function configFromEnv(env = process.env, base = exports.defaultConfig) {
    const problems = [];
    const int = (name, fallback) => {
        const v = env[name];
        if (v === undefined || v === '')
            return fallback;
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0)
            problems.push(`${name}="${v}" must be a whole number of MiB`);
        return n;
    };
    const topology = (env.KUBEADM_TOPOLOGY ?? base.kubeadm.topology);
    if (!(topology in catalog_1.topologies))
        problems.push(`KUBEADM_TOPOLOGY="${topology}" is not one of ${Object.keys(catalog_1.topologies).join(', ')}`);
    const cert = env.ACM_CERTIFICATE_ARN || base.kubeadm.certificateArn;
    const registry = env.IMAGE_REGISTRY || base.imageRegistry;
    const cfg = {
        ...base,
        ...(registry ? { imageRegistry: registry } : {}),
        repoUrl: env.GITOPS_REPO_URL || base.repoUrl,
        revision: env.GITOPS_REVISION || base.revision,
        pi: { ...base.pi, systemReserveMiB: int('PI_SYSTEM_RESERVE_MIB', base.pi.systemReserveMiB) },
        kubeadm: {
            ...base.kubeadm,
            topology,
            nodeReserveMiB: int('KUBEADM_NODE_RESERVE_MIB', base.kubeadm.nodeReserveMiB),
            ...(cert ? { certificateArn: cert } : {}),
        },
    };
    if (problems.length)
        throw new Error(`synth configuration is invalid:\n  - ${problems.join('\n  - ')}`);
    return cfg;
}
//# sourceMappingURL=config.js.map