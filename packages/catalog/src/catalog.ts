import { createHash } from 'node:crypto';
import { envContract } from './env';
import { parseQuantity } from './quantity';
import type { Cluster, ExchangeSpec, QueueSpec, ResolvedDependencies, Workload, WorkloadSpec } from './types';

export class CatalogError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(
      `catalog is invalid (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'CatalogError';
  }
}

export interface Catalog {
  readonly workloads: readonly Workload[];
  readonly queues: readonly QueueSpec[];
  readonly exchanges: readonly ExchangeSpec[];
  get(name: string): Workload;
  byCluster(cluster: Cluster): readonly Workload[];
}

export interface CatalogInput {
  readonly workloads: readonly WorkloadSpec[];
  readonly queues?: readonly QueueSpec[];
  readonly exchanges?: readonly ExchangeSpec[];
  /** Image reference per workload (tag or `sha256:` digest), from images.lock.json. */
  readonly images: Readonly<Record<string, string>>;
}

const SERVED_KINDS = new Set(['http', 'socket', 'worker']);
const PORT_BASE = 8000;
const PORT_SPAN = 900;

function hash(s: string): number {
  return createHash('sha256').update(s).digest().readUInt32BE(0);
}

/** Allocates a value for each name in order, starting at a hash of the name and probing upwards. */
function allocate(
  names: readonly string[],
  taken: Set<number>,
  base: number,
  span: number,
): Map<string, number> {
  const out = new Map<string, number>();
  for (const name of [...names].sort()) {
    let v = base + (hash(name) % span);
    for (let i = 0; taken.has(v) && i < span; i++) v = base + ((v - base + 1) % span);
    taken.add(v);
    out.set(name, v);
  }
  return out;
}

const list = (names: Iterable<string>) => [...names].map((n) => `"${n}"`).join(' and ');

/** Validates the whole catalog, applies defaults and allocations; throws once with every problem. */
export function buildCatalog(input: CatalogInput): Catalog {
  const problems: string[] = [];
  const specs = input.workloads;
  const queues = input.queues ?? [];
  const exchanges = input.exchanges ?? [];
  const byName = new Map<string, WorkloadSpec>();

  for (const w of specs) {
    if (!/^[a-z][a-z0-9-]{0,38}[a-z0-9]$/.test(w.name)) {
      problems.push(`workload name "${w.name}" must be lowercase kebab-case (2-40 chars)`);
    }
    if (byName.has(w.name)) problems.push(`workload "${w.name}" is declared twice`);
    byName.set(w.name, w);
    if (w.cluster === 'aws' && !(w.kind === 'static' || (w.kind === 'data' && w.external))) {
      problems.push(`"${w.name}": only static sites and external data services can have cluster "aws"`);
    }
    if (w.kind === 'data' && !w.engine) problems.push(`"${w.name}": a data workload needs an engine`);
    if (w.port !== undefined && (!Number.isInteger(w.port) || w.port < 1 || w.port > 65535)) {
      problems.push(`"${w.name}": port ${w.port} is not between 1 and 65535`);
    }
    checkResources(w, problems);
    checkEnv(w, problems);
    checkNodeFlags(w, problems);
    const r = w.replicas;
    if (r && (!Number.isInteger(r.min) || r.min < 1 || r.max < r.min)) {
      problems.push(`"${w.name}": replicas must satisfy 1 <= min <= max (got min ${r.min}, max ${r.max})`);
    }
    if (w.kind !== 'data' || !w.external) {
      if (!input.images[w.name]) problems.push(`"${w.name}": no image reference in images.lock.json`);
      else if (/(^|:)latest$/.test(input.images[w.name]!))
        problems.push(`"${w.name}": image reference must not be "latest"`);
    }
  }

  // Ports: explicit ones first, unique per cluster; then allocation for served workloads without one.
  const ports = new Map<string, number>();
  const portsByCluster = new Map<Cluster, Map<number, string>>();
  for (const w of specs) {
    if (w.port === undefined) continue;
    const seen = portsByCluster.get(w.cluster) ?? new Map<number, string>();
    portsByCluster.set(w.cluster, seen);
    const other = seen.get(w.port);
    if (other !== undefined) {
      problems.push(`duplicate port ${w.port} in cluster "${w.cluster}": ${list([other, w.name])}`);
    } else seen.set(w.port, w.name);
    ports.set(w.name, w.port);
  }
  const taken = new Set<number>();
  for (const m of portsByCluster.values()) for (const p of m.keys()) taken.add(p);
  const unported = specs.filter((w) => w.port === undefined && SERVED_KINDS.has(w.kind)).map((w) => w.name);
  for (const [n, p] of allocate(unported, taken, PORT_BASE, PORT_SPAN)) ports.set(n, p);

  // Routes.
  const routes = new Map<string, string>();
  const routeOf = new Map<string, string | undefined>();
  for (const w of specs) {
    const route = w.route ?? (w.kind === 'http' ? `/api/v1/${w.name}` : undefined);
    routeOf.set(w.name, route);
    if (route === undefined || w.kind !== 'http') continue;
    if (!/^\/[a-z0-9/-]*$/.test(route))
      problems.push(`"${w.name}": route "${route}" must be a lowercase path`);
    const other = routes.get(route);
    if (other) problems.push(`duplicate route "${route}": ${list([other, w.name])}`);
    else routes.set(route, w.name);
  }

  // Dependencies.
  const owners = new Map<string, string>();
  const redisDbs = new Map<string, Map<number, string>>();
  const queueNames = new Set(queues.map((q) => q.name));
  for (const w of specs) {
    const d = w.dependencies ?? {};
    const needServer = (server: string, engine: string, what: string) => {
      const s = byName.get(server);
      if (!s) problems.push(`"${w.name}" depends on ${what} server "${server}", which does not exist`);
      else if (s.kind !== 'data' || s.engine !== engine) {
        problems.push(
          `"${w.name}" depends on "${server}" as ${what}, but it is a ${s.engine ?? s.kind} workload`,
        );
      }
    };
    if (d.postgres) {
      needServer(d.postgres.server, 'postgres', 'postgres');
      if (!/^[a-z][a-z0-9_]*$/.test(d.postgres.database)) {
        problems.push(`"${w.name}": database name "${d.postgres.database}" must be a lowercase identifier`);
      }
      if (d.postgres.owner !== false) {
        const key = `${d.postgres.server}/${d.postgres.database}`;
        const other = owners.get(key);
        if (other)
          problems.push(
            `duplicate database "${key}": owned by ${list([other, w.name])} (set owner: false on the one that only uses it)`,
          );
        else owners.set(key, w.name);
      }
    }
    if (d.redis) {
      needServer(d.redis.server, 'redis', 'redis');
      if (d.redis.db !== undefined) {
        if (!Number.isInteger(d.redis.db) || d.redis.db < 0 || d.redis.db > 15) {
          problems.push(`"${w.name}": redis db ${d.redis.db} is not between 0 and 15`);
        }
        const dbs = redisDbs.get(d.redis.server) ?? new Map<number, string>();
        redisDbs.set(d.redis.server, dbs);
        const other = dbs.get(d.redis.db);
        if (other)
          problems.push(`duplicate redis db ${d.redis.db} on "${d.redis.server}": ${list([other, w.name])}`);
        else dbs.set(d.redis.db, w.name);
      }
    }
    if (d.amqp) {
      needServer(d.amqp.server, 'rabbitmq', 'rabbitmq');
      for (const q of [...(d.amqp.consumes ?? []), ...(d.amqp.publishes ?? [])]) {
        if (!queueNames.has(q)) problems.push(`"${w.name}" uses queue "${q}", which is not declared`);
      }
    }
    for (const s of d.services ?? []) {
      if (!byName.has(s)) problems.push(`"${w.name}" depends on service "${s}", which does not exist`);
      else if (s === w.name) problems.push(`"${w.name}" depends on itself`);
    }
  }
  for (const w of specs) {
    const p = w.dependencies?.postgres;
    if (p && p.owner === false && !owners.has(`${p.server}/${p.database}`)) {
      problems.push(`"${w.name}" uses database "${p.server}/${p.database}", which no workload owns`);
    }
  }
  const exchangeTypes = new Map(exchanges.map((e) => [e.name, e.type]));
  for (const q of queues) {
    const type = exchangeTypes.get(q.exchange);
    if (!type) problems.push(`queue "${q.name}" is bound to unknown exchange "${q.exchange}"`);
    if (q.deadLetter && !queueNames.has(q.deadLetter))
      problems.push(`queue "${q.name}" dead-letters to unknown queue "${q.deadLetter}"`);
    if (!q.retryDelaysMs.length || !type) continue;
    // A retry comes back through the exchange with the queue's routing key: it must reach this queue only.
    if (type === 'fanout') {
      problems.push(
        `queue "${q.name}" retries through fanout exchange "${q.exchange}", so every retry would reach every queue bound there; use a topic exchange with bindingKeys`,
      );
      continue;
    }
    for (const o of queues) {
      if (o === q || o.exchange !== q.exchange) continue;
      const hit = [o.routingKey, ...(o.bindingKeys ?? [])].find((k) =>
        type === 'topic' ? topicMatches(k, q.routingKey) : k === q.routingKey,
      );
      if (hit !== undefined)
        problems.push(
          `retries of queue "${q.name}" (routing key "${q.routingKey}") would also reach queue "${o.name}" (bound with "${hit}"); give "${q.name}" a routing key of its own`,
        );
    }
  }

  if (problems.length) throw new CatalogError(problems);

  // Redis DB allocation per server.
  const dbOf = new Map<string, number>();
  for (const [server, dbs] of redisDbs) for (const [db, name] of dbs) dbOf.set(`${server}/${name}`, db);
  const byServer = new Map<string, string[]>();
  for (const w of specs) {
    const r = w.dependencies?.redis;
    if (r && r.db === undefined) byServer.set(r.server, [...(byServer.get(r.server) ?? []), w.name]);
  }
  for (const [server, names] of byServer) {
    const used = new Set(redisDbs.get(server)?.keys() ?? []);
    if (names.length + used.size > 16)
      throw new CatalogError([`redis "${server}" has more than 16 users: ${list(names)}`]);
    for (const [n, db] of allocate(names, used, 0, 16)) dbOf.set(`${server}/${n}`, db);
  }

  const workloads: Workload[] = specs.map((w) => {
    const port = ports.get(w.name);
    const redis = w.dependencies?.redis;
    const { redis: _redis, ...rest } = w.dependencies ?? {};
    const dependencies: ResolvedDependencies = redis
      ? {
          ...rest,
          redis: {
            ...redis,
            db: dbOf.get(`${redis.server}/${w.name}`)!,
            keyPrefix: redis.keyPrefix ?? `${w.name}:`,
          },
        }
      : rest;
    const resolved = port === undefined ? w : { ...w, port };
    return {
      ...w,
      port,
      route: routeOf.get(w.name),
      env: envContract(resolved),
      dependencies,
      replicas: w.replicas ?? { min: 1, max: 1 },
      placement: w.placement,
      image: w.image ?? `hybrid/${w.name}`,
      imageRef: input.images[w.name] ?? '',
      nodeFlags: w.nodeFlags ?? [],
      probes: { health: '/health', ready: '/ready', metrics: '/metrics' },
    };
  });
  const index = new Map(workloads.map((w) => [w.name, w]));
  return {
    workloads,
    queues,
    exchanges,
    get(name: string) {
      const w = index.get(name);
      if (!w)
        throw new Error(`no workload "${name}" in the catalog (known: ${[...index.keys()].join(', ')})`);
      return w;
    },
    byCluster: (cluster) => workloads.filter((w) => w.cluster === cluster),
  };
}

function checkResources(w: WorkloadSpec, problems: string[]): void {
  if (w.external || w.kind === 'static') return;
  const q = (v: string | undefined, what: string): number | undefined => {
    if (v === undefined) return undefined;
    try {
      return parseQuantity(v);
    } catch (e) {
      problems.push(`"${w.name}": ${what}: ${(e as Error).message}`);
      return undefined;
    }
  };
  const rc = q(w.resources.requests.cpu, 'requests.cpu');
  const rm = q(w.resources.requests.memory, 'requests.memory');
  const lc = q(w.resources.limits.cpu, 'limits.cpu');
  const lm = q(w.resources.limits.memory, 'limits.memory');
  if (rm !== undefined && lm !== undefined && lm < rm) {
    problems.push(
      `"${w.name}": memory limit ${w.resources.limits.memory} is below its request ${w.resources.requests.memory}`,
    );
  }
  if (rc !== undefined && lc !== undefined && lc < rc) {
    problems.push(
      `"${w.name}": cpu limit ${w.resources.limits.cpu} is below its request ${w.resources.requests.cpu}`,
    );
  }
  if (rm === 0 || lm === 0) problems.push(`"${w.name}": memory request and limit must be above zero`);
}

/** Flags run as `node <flags> dist/main.js`: `--name` or `--name=value`, nothing a shell or node could misread. */
const NODE_FLAG = /^--[a-z][a-z0-9-]*(=[A-Za-z0-9._,:/-]+)?$/;

function checkNodeFlags(w: WorkloadSpec, problems: string[]): void {
  if (!w.nodeFlags?.length) return;
  if (w.kind === 'data' || w.kind === 'static') {
    problems.push(`"${w.name}": nodeFlags apply to Node workloads only, not to a ${w.kind} workload`);
    return;
  }
  const names = new Set<string>();
  for (const f of w.nodeFlags) {
    if (!NODE_FLAG.test(f)) {
      problems.push(`"${w.name}": node flag "${f}" must look like --name or --name=value`);
      continue;
    }
    const name = f.split('=')[0]!;
    if (names.has(name)) problems.push(`"${w.name}": node flag ${name} is given twice`);
    names.add(name);
  }
}

function checkEnv(w: WorkloadSpec, problems: string[]): void {
  for (const [name, spec] of Object.entries(w.env ?? {})) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(name))
      problems.push(`"${w.name}": env name "${name}" must be UPPER_SNAKE_CASE`);
    if (spec.type === 'enum' && !spec.values?.length)
      problems.push(`"${w.name}": env ${name} is an enum without values`);
    if (spec.default !== undefined && spec.required) {
      problems.push(`"${w.name}": env ${name} is required and has a default; choose one`);
    }
    if (spec.secret && spec.default)
      problems.push(`"${w.name}": secret env ${name} must not have a default value`);
  }
}

/** Whether an AMQP topic binding key (`*` one word, `#` zero or more) matches a routing key. */
export function topicMatches(pattern: string, key: string): boolean {
  const p = pattern.split('.');
  const k = key.split('.');
  const at = (i: number, j: number): boolean => {
    if (i === p.length) return j === k.length;
    if (p[i] === '#') return at(i + 1, j) || (j < k.length && at(i, j + 1));
    return j < k.length && (p[i] === '*' || p[i] === k[j]) && at(i + 1, j + 1);
  };
  return at(0, 0);
}
