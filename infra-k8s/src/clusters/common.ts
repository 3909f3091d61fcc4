import type { Catalog, Workload } from '@hybrid/catalog';
import { INSTANCE_METADATA, type HelmAddon, type Peer, type Pool, type Rule } from '@hybrid/constructs-k8s';
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
 * A workload whose S3 key may be left empty falls back to the default AWS credential chain: the
 * node's instance role, fetched from the instance metadata service.
 */
export const usesInstanceRole = (w: Workload): boolean =>
  'S3_ACCESS_KEY_ID' in w.env && !w.env.S3_ACCESS_KEY_ID!.required;

/** Env variable of a token-checking service: the auth service's Redis, where logged-out tokens are denylisted. */
export const DENYLIST_ENV = 'AUTH_DENYLIST_URL';

/** One connection of a workload to a server: the server's catalog name and what it is for. */
export interface Connection {
  readonly server: string;
  readonly label: string;
}

/**
 * The servers a workload connects to: its catalog dependencies (PostgreSQL, Redis, RabbitMQ, the
 * services it calls) plus the auth service's Redis for every workload whose env contract reads
 * the token denylist (AUTH_DENYLIST_URL), whether or not it has a Redis of its own.
 */
export function connectionsOf(w: Workload, catalog: Catalog): Connection[] {
  const d = w.dependencies;
  const out: Connection[] = [];
  if (d.postgres) out.push({ server: d.postgres.server, label: `postgres ${d.postgres.database}` });
  if (d.redis) out.push({ server: d.redis.server, label: `redis db ${d.redis.db}` });
  if (DENYLIST_ENV in w.env) {
    const authRedis = catalog.get('auth').dependencies.redis;
    if (!authRedis)
      throw new Error(
        `${w.name} reads ${DENYLIST_ENV} but the auth workload has no Redis dependency to point it at`,
      );
    if (authRedis.server !== d.redis?.server)
      out.push({ server: authRedis.server, label: 'redis token denylist' });
  }
  if (d.amqp) out.push({ server: d.amqp.server, label: 'amqp' });
  for (const s of d.services ?? []) out.push({ server: s, label: 'http' });
  return out;
}

/**
 * Where a workload may connect: the in-cluster servers of connectionsOf (PostgreSQL, Redis,
 * RabbitMQ, called services), external HTTPS endpoints, the instance metadata service for
 * workloads that use the instance role, plus extra rules.
 */
export function egressOf(
  w: Workload,
  catalog: Catalog,
  ns: ReadonlyMap<string, string>,
  extra: readonly Rule[] = [],
): Rule[] {
  const rules: Rule[] = [];
  const to = (server: string): Peer => ({
    ...(ns.get(server) ? { namespace: ns.get(server)! } : {}),
    podLabels: { 'app.kubernetes.io/name': server },
  });
  for (const { server: name } of connectionsOf(w, catalog)) {
    const server = catalog.get(name);
    if (server.external) continue;
    rules.push({ peers: [to(server.name)], ports: [server.port!] });
  }
  if (Object.keys(w.env).some((k) => EXTERNAL.test(k)))
    rules.push({ peers: [{ cidr: '0.0.0.0/0' }], ports: [443] });
  if (usesInstanceRole(w)) rules.push(INSTANCE_METADATA);
  return [...rules, ...extra];
}

/** Who may connect to a workload: the deployed catalog workloads whose connectionsOf include it. */
export function clientsOf(server: Workload, catalog: Catalog, ns: ReadonlyMap<string, string>): Peer[] {
  return catalog.workloads
    .filter((w) => ns.has(w.name))
    .filter((w) => connectionsOf(w, catalog).some((c) => c.server === server.name))
    .map((w) => ({ namespace: ns.get(w.name)!, podLabels: { 'app.kubernetes.io/name': w.name } }));
}

export const MiB = 2 ** 20;
