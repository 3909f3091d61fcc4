import type { Catalog, Workload } from '@hybrid/catalog';
import type { HelmAddon, Peer, Pool, Rule } from '@hybrid/constructs-k8s';
import { Chart, type App } from 'cdk8s';

/** One cluster: a chart per committed folder (one ArgoCD Application each). */
export interface ClusterBuild {
  readonly name: 'pi' | 'kubeadm';
  readonly app: App;
  readonly folders: Map<string, Chart>;
  readonly pools: readonly Pool[];
  /** Add-ons with the pool their pods land on. */
  readonly addons: readonly { readonly addon: HelmAddon<object>; readonly pool: string }[];
  /** Node role label prefix, to find pools from node selectors. */
  readonly roleKeyPrefix: string;
  readonly poolOfRole: (role: string | undefined) => string;
  /** Namespace of each deployed catalog workload. */
  readonly namespaces: ReadonlyMap<string, string>;
}

export function newFolder(app: App, folders: Map<string, Chart>, name: string): Chart {
  const chart = new Chart(app, name, { disableResourceNameHashes: true });
  folders.set(name, chart);
  return chart;
}

/** Env variables that point outside the cluster (an HTTPS endpoint the workload calls). */
const EXTERNAL = /(_ENDPOINT|_BASE_URL)$/;

/**
 * Where a workload may connect, from its catalog dependencies: its PostgreSQL, Redis and
 * RabbitMQ servers, the services it calls, external HTTPS endpoints, plus extra rules.
 */
export function egressOf(
  w: Workload,
  catalog: Catalog,
  ns: ReadonlyMap<string, string>,
  extra: readonly Rule[] = [],
): Rule[] {
  const d = w.dependencies;
  const rules: Rule[] = [];
  const to = (server: string): Peer => ({
    ...(ns.get(server) ? { namespace: ns.get(server)! } : {}),
    podLabels: { 'app.kubernetes.io/name': server },
  });
  for (const dep of [d.postgres, d.redis, d.amqp]) {
    if (!dep) continue;
    const server = catalog.get(dep.server);
    if (server.external) continue;
    rules.push({ peers: [to(server.name)], ports: [server.port!] });
  }
  for (const s of d.services ?? []) rules.push({ peers: [to(s)], ports: [catalog.get(s).port!] });
  if (Object.keys(w.env).some((k) => EXTERNAL.test(k)))
    rules.push({ peers: [{ cidr: '0.0.0.0/0' }], ports: [443] });
  return [...rules, ...extra];
}

/** Who may connect to a workload: the catalog workloads that depend on it. */
export function clientsOf(server: Workload, catalog: Catalog, ns: ReadonlyMap<string, string>): Peer[] {
  return catalog.workloads
    .filter((w) => ns.has(w.name))
    .filter((w) => {
      const d = w.dependencies;
      return [d.postgres?.server, d.redis?.server, d.amqp?.server, ...(d.services ?? [])].includes(
        server.name,
      );
    })
    .map((w) => ({ namespace: ns.get(w.name)!, podLabels: { 'app.kubernetes.io/name': w.name } }));
}

export const MiB = 2 ** 20;
