import { catalog } from '@hybrid/catalog';
import {
  AlertRules,
  alerts,
  AppProject,
  argoCdValues,
  charts,
  GitApplication,
  GrafanaDashboard,
  HelmAddon,
  kubePrometheusStackValues,
  MetalLbPool,
  metalLbValues,
  PlatformNamespace,
  Redis,
  SocketService,
  TailscaleRouter,
} from '@hybrid/constructs-k8s';
import { App, type Chart } from 'cdk8s';
import type { SynthConfig } from '../config';
import { clientsOf, egressOf, MiB, newFolder, type ClusterBuild } from './common';

const ipv4 = (a: string): number => a.split('.').reduce((n, o) => n * 256 + Number(o), 0);

/** Whether an IPv4 address lies in a MetalLB range (`a.b.c.d-a.b.c.e` or a CIDR). */
export function inRange(address: string, range: string): boolean {
  const a = ipv4(address);
  const [from, to] = range.split('-');
  if (to !== undefined) return a >= ipv4(from!) && a <= ipv4(to);
  const [base, bits] = range.split('/');
  const size = 2 ** (32 - Number(bits ?? 32));
  const start = ipv4(base!) - (ipv4(base!) % size);
  return a >= start && a < start + size;
}

/**
 * The Raspberry Pi cluster (one 4 GiB ARM64 node): the DrawGuess game server and its Redis,
 * monitoring sized for the node, MetalLB, the Tailscale subnet router, and ArgoCD whose root
 * application syncs the `argocd` folder (every other folder's Application and the add-ons).
 */
export function buildPi(cfg: SynthConfig): ClusterBuild {
  const app = new App();
  const folders = new Map<string, Chart>();
  const c = cfg.pi;
  const registry = cfg.imageRegistry ? { imageRegistry: cfg.imageRegistry } : {};
  const gameServer = catalog.get('game-server');
  const gameRedis = catalog.get('game-redis');
  const ns = new Map([
    [gameServer.name, 'game'],
    [gameRedis.name, 'game'],
  ]);

  // game: the Socket.IO server behind MetalLB, and its Redis.
  const game = newFolder(app, folders, 'game');
  new PlatformNamespace(game, 'Namespace', 'game');
  // The edge proxy's upstream is this Service: its pinned MetalLB address and its port (the
  // environment facts take the proxy's port from the game server's catalog entry).
  if (!c.lanPool.some((r) => inRange(c.gameAddress, r)))
    throw new Error(
      `pi: the game Service's address ${c.gameAddress} is outside the LAN pool ${c.lanPool.join(', ')}`,
    );
  new SocketService(game, 'GameServer', {
    workload: gameServer,
    namespace: 'game',
    ...registry,
    env: { CORS_ORIGINS: c.webOrigin },
    serviceType: 'LoadBalancer',
    serviceAnnotations: {
      'metallb.io/address-pool': 'lan',
      'metallb.io/loadBalancerIPs': c.gameAddress,
    },
    allowFrom: [{ peers: [{ cidr: '0.0.0.0/0' }], ports: [gameServer.port!] }],
    allowTo: egressOf(gameServer, catalog, ns, [{ peers: [{ cidr: c.awsVpcCidr }], ports: [5432] }]),
    monitorLabels: { release: 'kube-prometheus-stack' },
  });
  new Redis(game, 'GameRedis', {
    workload: gameRedis,
    namespace: 'game',
    storage: '2Gi',
    ...registry,
    allowFrom: [{ peers: clientsOf(gameRedis, catalog, ns), ports: [gameRedis.port!] }],
  });

  // monitoring: dashboards and alerts (the stack itself is an add-on).
  const monitoring = newFolder(app, folders, 'monitoring');
  new PlatformNamespace(monitoring, 'Namespace', 'monitoring', {
    podSecurity: 'privileged',
    defaultDeny: false,
  });
  new GrafanaDashboard(monitoring, 'GameDashboard', 'drawguess-game', {
    namespace: 'monitoring',
    title: 'DrawGuess game server',
    folder: 'DrawGuess',
    panels: [
      {
        title: 'HTTP requests per second',
        expr: 'sum by (status_code) (rate(http_request_duration_seconds_count{namespace="game"}[5m]))',
        unit: 'reqps',
        legend: '{{status_code}}',
      },
      {
        title: 'p99 latency',
        expr: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="game"}[5m])))',
        unit: 's',
      },
      {
        title: 'Event loop lag p99',
        expr: 'max by (pod) (nodejs_eventloop_lag_p99_seconds{namespace="game"})',
        unit: 's',
        legend: '{{pod}}',
      },
      {
        title: 'Resident memory',
        expr: 'sum by (pod) (process_resident_memory_bytes{namespace="game"})',
        unit: 'bytes',
        legend: '{{pod}}',
      },
      { title: 'Node memory available', expr: 'node_memory_MemAvailable_bytes', unit: 'bytes' },
      {
        title: 'Container restarts (1h)',
        expr: 'sum by (pod) (increase(kube_pod_container_status_restarts_total{namespace="game"}[1h]))',
        unit: 'short',
        legend: '{{pod}}',
      },
    ],
  });
  new AlertRules(monitoring, 'GameAlerts', 'drawguess-alerts', {
    namespace: 'monitoring',
    groups: [
      {
        name: 'drawguess',
        rules: [
          alerts.crashLoop('game'),
          alerts.errorRate('game'),
          alerts.latencyP99('game', 0.5),
          alerts.statefulSetDown('game', gameRedis.name, 'GameRedis'),
        ],
      },
    ],
  });

  // metallb-system: the LAN address pool.
  const metallb = newFolder(app, folders, 'metallb-system');
  new PlatformNamespace(metallb, 'Namespace', 'metallb-system', {
    podSecurity: 'privileged',
    defaultDeny: false,
  });
  new MetalLbPool(metallb, 'Pool', 'lan', { addresses: c.lanPool });

  // tailscale: the subnet router (the tunnel to AWS).
  const tailscale = newFolder(app, folders, 'tailscale');
  new PlatformNamespace(tailscale, 'Namespace', 'tailscale', { podSecurity: 'privileged' });
  new TailscaleRouter(tailscale, 'Router', { namespace: 'tailscale', advertiseRoutes: c.advertiseRoutes });

  // argocd: the project, the root app-of-apps, an Application per folder, the add-ons.
  const argocd = newFolder(app, folders, 'argocd');
  const helmRepos = [charts.argoCd.repoUrl, charts.kubePrometheusStack.repoUrl, charts.metallb.repoUrl];
  const project = new AppProject(argocd, 'Project', 'pi', {
    description: 'Everything on the Raspberry Pi cluster',
    repoUrl: cfg.repoUrl,
    helmRepos,
    namespaces: ['argocd', 'game', 'monitoring', 'metallb-system', 'tailscale'],
  });
  const git = { project: project.projectName, repoUrl: cfg.repoUrl, revision: cfg.revision };
  new GitApplication(argocd, 'Root', 'pi-root', {
    ...git,
    path: `${cfg.distPath}/pi/argocd`,
    namespace: 'argocd',
  });
  const waves: Record<string, number> = { 'metallb-system': 1, tailscale: 1, monitoring: 2, game: 3 };
  for (const folder of ['game', 'monitoring', 'metallb-system', 'tailscale']) {
    new GitApplication(argocd, `App-${folder}`, `pi-${folder}`, {
      ...git,
      path: `${cfg.distPath}/pi/${folder}`,
      namespace: folder,
      wave: waves[folder]!,
    });
  }
  const addons = [
    new HelmAddon(argocd, 'ArgoCd', 'argo-cd', {
      chart: charts.argoCd,
      project: 'pi',
      namespace: 'argocd',
      values: argoCdValues({ domain: c.domain, small: true }),
      wave: 0,
    }),
    new HelmAddon(argocd, 'Metallb', 'metallb', {
      chart: charts.metallb,
      project: 'pi',
      namespace: 'metallb-system',
      values: metalLbValues(),
      perNode: ['speaker'],
      wave: 0,
    }),
    new HelmAddon(argocd, 'Monitoring', 'kube-prometheus-stack', {
      chart: charts.kubePrometheusStack,
      project: 'pi',
      namespace: 'monitoring',
      values: kubePrometheusStackValues({ domain: c.domain, small: true }),
      perNode: ['prometheus-node-exporter'],
      wave: 1,
    }),
  ];

  return {
    name: 'pi',
    app,
    folders,
    pools: [
      {
        name: 'pi',
        role: undefined,
        allocatableBytes: (c.nodeMemoryMiB - c.systemReserveMiB) * MiB,
        nodes: 1,
      },
    ],
    addons: addons.map((addon) => ({ addon: addon as HelmAddon<object>, pool: 'pi' })),
    roleKeyPrefix: 'node-role.hybrid.dev/',
    poolOfRole: () => 'pi',
    namespaces: ns,
  };
}
