"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.buildPi = buildPi;
const catalog_1 = require("@hybrid/catalog");
const constructs_k8s_1 = require("@hybrid/constructs-k8s");
const cdk8s_1 = require("cdk8s");
const common_1 = require("./common");
/**
 * The Raspberry Pi cluster (one 4 GiB ARM64 node): the DrawGuess game server and its Redis,
 * monitoring sized for the node, MetalLB, the Tailscale subnet router, and ArgoCD whose root
 * application syncs the `argocd` folder (every other folder's Application and the add-ons).
 */
function buildPi(cfg) {
    const app = new cdk8s_1.App();
    const folders = new Map();
    const c = cfg.pi;
    const registry = cfg.imageRegistry ? { imageRegistry: cfg.imageRegistry } : {};
    const gameServer = catalog_1.catalog.get('game-server');
    const gameRedis = catalog_1.catalog.get('game-redis');
    const ns = new Map([
        [gameServer.name, 'game'],
        [gameRedis.name, 'game'],
    ]);
    // game: the Socket.IO server behind MetalLB, and its Redis.
    const game = (0, common_1.newFolder)(app, folders, 'game');
    new constructs_k8s_1.PlatformNamespace(game, 'Namespace', 'game');
    new constructs_k8s_1.SocketService(game, 'GameServer', {
        workload: gameServer,
        namespace: 'game',
        ...registry,
        env: { CORS_ORIGINS: c.webOrigin },
        serviceType: 'LoadBalancer',
        serviceAnnotations: { 'metallb.io/address-pool': 'lan' },
        allowFrom: [{ peers: [{ cidr: '0.0.0.0/0' }], ports: [gameServer.port] }],
        allowTo: (0, common_1.egressOf)(gameServer, catalog_1.catalog, ns, [{ peers: [{ cidr: c.awsVpcCidr }], ports: [5432] }]),
        monitorLabels: { release: 'kube-prometheus-stack' },
    });
    new constructs_k8s_1.Redis(game, 'GameRedis', { workload: gameRedis, namespace: 'game', storage: '2Gi', ...registry, allowFrom: [{ peers: (0, common_1.clientsOf)(gameRedis, catalog_1.catalog, ns), ports: [gameRedis.port] }] });
    // monitoring: dashboards and alerts (the stack itself is an add-on).
    const monitoring = (0, common_1.newFolder)(app, folders, 'monitoring');
    new constructs_k8s_1.PlatformNamespace(monitoring, 'Namespace', 'monitoring', { podSecurity: 'privileged', defaultDeny: false });
    new constructs_k8s_1.GrafanaDashboard(monitoring, 'GameDashboard', 'drawguess-game', {
        namespace: 'monitoring',
        title: 'DrawGuess game server',
        folder: 'DrawGuess',
        panels: [
            { title: 'HTTP requests per second', expr: 'sum by (status_code) (rate(http_request_duration_seconds_count{namespace="game"}[5m]))', unit: 'reqps', legend: '{{status_code}}' },
            { title: 'p99 latency', expr: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="game"}[5m])))', unit: 's' },
            { title: 'Event loop lag p99', expr: 'max by (pod) (nodejs_eventloop_lag_p99_seconds{namespace="game"})', unit: 's', legend: '{{pod}}' },
            { title: 'Resident memory', expr: 'sum by (pod) (process_resident_memory_bytes{namespace="game"})', unit: 'bytes', legend: '{{pod}}' },
            { title: 'Node memory available', expr: 'node_memory_MemAvailable_bytes', unit: 'bytes' },
            { title: 'Container restarts (1h)', expr: 'sum by (pod) (increase(kube_pod_container_status_restarts_total{namespace="game"}[1h]))', unit: 'short', legend: '{{pod}}' },
        ],
    });
    new constructs_k8s_1.AlertRules(monitoring, 'GameAlerts', 'drawguess-alerts', {
        namespace: 'monitoring',
        groups: [
            {
                name: 'drawguess',
                rules: [constructs_k8s_1.alerts.crashLoop('game'), constructs_k8s_1.alerts.errorRate('game'), constructs_k8s_1.alerts.latencyP99('game', 0.5), constructs_k8s_1.alerts.statefulSetDown('game', gameRedis.name, 'GameRedis')],
            },
        ],
    });
    // metallb-system: the LAN address pool.
    const metallb = (0, common_1.newFolder)(app, folders, 'metallb-system');
    new constructs_k8s_1.PlatformNamespace(metallb, 'Namespace', 'metallb-system', { podSecurity: 'privileged', defaultDeny: false });
    new constructs_k8s_1.MetalLbPool(metallb, 'Pool', 'lan', { addresses: c.lanPool });
    // tailscale: the subnet router (the tunnel to AWS).
    const tailscale = (0, common_1.newFolder)(app, folders, 'tailscale');
    new constructs_k8s_1.PlatformNamespace(tailscale, 'Namespace', 'tailscale', { podSecurity: 'privileged' });
    new constructs_k8s_1.TailscaleRouter(tailscale, 'Router', { namespace: 'tailscale', advertiseRoutes: c.advertiseRoutes });
    // argocd: the project, the root app-of-apps, an Application per folder, the add-ons.
    const argocd = (0, common_1.newFolder)(app, folders, 'argocd');
    const helmRepos = [constructs_k8s_1.charts.argoCd.repoUrl, constructs_k8s_1.charts.kubePrometheusStack.repoUrl, constructs_k8s_1.charts.metallb.repoUrl];
    const project = new constructs_k8s_1.AppProject(argocd, 'Project', 'pi', {
        description: 'Everything on the Raspberry Pi cluster',
        repoUrl: cfg.repoUrl,
        helmRepos,
        namespaces: ['argocd', 'game', 'monitoring', 'metallb-system', 'tailscale'],
    });
    const git = { project: project.projectName, repoUrl: cfg.repoUrl, revision: cfg.revision };
    new constructs_k8s_1.GitApplication(argocd, 'Root', 'pi-root', { ...git, path: `${cfg.distPath}/pi/argocd`, namespace: 'argocd' });
    const waves = { 'metallb-system': 1, tailscale: 1, monitoring: 2, game: 3 };
    for (const folder of ['game', 'monitoring', 'metallb-system', 'tailscale']) {
        new constructs_k8s_1.GitApplication(argocd, `App-${folder}`, `pi-${folder}`, { ...git, path: `${cfg.distPath}/pi/${folder}`, namespace: folder, wave: waves[folder] });
    }
    const addons = [
        new constructs_k8s_1.HelmAddon(argocd, 'ArgoCd', 'argo-cd', { chart: constructs_k8s_1.charts.argoCd, project: 'pi', namespace: 'argocd', values: (0, constructs_k8s_1.argoCdValues)({ domain: c.domain, small: true }), wave: 0 }),
        new constructs_k8s_1.HelmAddon(argocd, 'Metallb', 'metallb', { chart: constructs_k8s_1.charts.metallb, project: 'pi', namespace: 'metallb-system', values: (0, constructs_k8s_1.metalLbValues)(), wave: 0 }),
        new constructs_k8s_1.HelmAddon(argocd, 'Monitoring', 'kube-prometheus-stack', {
            chart: constructs_k8s_1.charts.kubePrometheusStack,
            project: 'pi',
            namespace: 'monitoring',
            values: (0, constructs_k8s_1.kubePrometheusStackValues)({ domain: c.domain, small: true }),
            wave: 1,
        }),
    ];
    return {
        name: 'pi',
        app,
        folders,
        pools: [{ name: 'pi', role: undefined, allocatableBytes: (c.nodeMemoryMiB - c.systemReserveMiB) * common_1.MiB }],
        addons: addons.map((addon) => ({ addon: addon, pool: 'pi' })),
        roleKeyPrefix: 'node-role.hybrid.dev/',
        poolOfRole: () => 'pi',
        namespaces: ns,
    };
}
//# sourceMappingURL=pi.js.map