import { parseQuantity, toMiB } from '@hybrid/catalog';

/** A node pool's memory for pods. */
export interface Pool {
  readonly name: string;
  /** Matches pods by the node role they select; `undefined` takes pods without a node selector. */
  readonly role: string | undefined;
  readonly allocatableBytes: number;
  /** Nodes in the pool (per-node components count once per node). @default 1 */
  readonly nodes?: number;
}

/** Someone's memory on a pool. */
export interface Usage {
  readonly who: string;
  readonly pool: string;
  readonly replicas: number;
  readonly limitBytes: number;
}

export interface PoolBudget {
  readonly pool: string;
  readonly allocatableBytes: number;
  readonly usedBytes: number;
  readonly users: readonly Usage[];
}

export class CapacityError extends Error {
  constructor(
    readonly cluster: string,
    readonly budgets: readonly PoolBudget[],
  ) {
    super(`capacity: cluster "${cluster}" is over its memory budget:\n${capacityTable(budgets)}`);
    this.name = 'CapacityError';
  }
}

type Obj = {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
  spec?: Record<string, unknown>;
};
type PodSpec = {
  nodeSelector?: Record<string, string>;
  containers?: { resources?: { limits?: { memory?: string } } }[];
  initContainers?: unknown[];
};

function podSpecOf(o: Obj): PodSpec | undefined {
  const s = o.spec as Record<string, unknown> | undefined;
  if (!s) return undefined;
  if (o.kind === 'CronJob')
    return ((s.jobTemplate as Obj | undefined)?.spec?.template as { spec?: PodSpec } | undefined)?.spec;
  if (['Deployment', 'StatefulSet', 'DaemonSet', 'Job'].includes(o.kind ?? ''))
    return (s.template as { spec?: PodSpec } | undefined)?.spec;
  return undefined;
}

/**
 * Memory limits of every pod-bearing object in a manifest set, on the pool its node selector
 * picks. A Deployment's count is its HorizontalPodAutoscaler's maximum when it has one.
 */
export function manifestUsage(
  objects: readonly Obj[],
  roleKeyPrefix: string,
  poolOfRole: (role: string | undefined) => string,
): Usage[] {
  const hpaMax = new Map<string, number>();
  for (const o of objects) {
    if (o.kind !== 'HorizontalPodAutoscaler') continue;
    const ref = o.spec?.scaleTargetRef as { kind?: string; name?: string } | undefined;
    hpaMax.set(`${o.metadata?.namespace}/${ref?.kind}/${ref?.name}`, Number(o.spec?.maxReplicas ?? 1));
  }
  const out: Usage[] = [];
  for (const o of objects) {
    const pod = podSpecOf(o);
    if (!pod) continue;
    const key = `${o.metadata?.namespace}/${o.kind}/${o.metadata?.name}`;
    const replicas = hpaMax.get(key) ?? (typeof o.spec?.replicas === 'number' ? o.spec.replicas : 1);
    const limitBytes = (pod.containers ?? []).reduce(
      (s, c) => s + (c.resources?.limits?.memory ? parseQuantity(c.resources.limits.memory) : 0),
      0,
    );
    const roleLabel = Object.keys(pod.nodeSelector ?? {}).find((k) => k.startsWith(roleKeyPrefix));
    out.push({
      who: `${o.metadata?.namespace}/${o.metadata?.name}`,
      pool: poolOfRole(roleLabel?.slice(roleKeyPrefix.length)),
      replicas,
      limitBytes,
    });
  }
  return out;
}

/** Sums usage per pool; throws CapacityError with the whole table when a pool is over. */
export function checkCapacity(
  cluster: string,
  pools: readonly Pool[],
  usage: readonly Usage[],
): PoolBudget[] {
  const budgets = pools.map((p) => {
    const users = usage
      .filter((u) => u.pool === p.name)
      .sort((a, b) => b.limitBytes * b.replicas - a.limitBytes * a.replicas || a.who.localeCompare(b.who));
    return {
      pool: p.name,
      allocatableBytes: p.allocatableBytes,
      usedBytes: users.reduce((s, u) => s + u.limitBytes * u.replicas, 0),
      users,
    };
  });
  const orphans = usage.filter((u) => !pools.some((p) => p.name === u.pool));
  if (orphans.length) {
    throw new Error(
      `capacity: cluster "${cluster}": no pool for ${orphans.map((o) => `${o.who} (pool "${o.pool}")`).join(', ')}`,
    );
  }
  if (budgets.some((b) => b.usedBytes > b.allocatableBytes)) throw new CapacityError(cluster, budgets);
  return budgets;
}

/** Who uses what, per pool. */
export function capacityTable(budgets: readonly PoolBudget[]): string {
  const lines: string[] = [];
  for (const b of budgets) {
    const over = b.usedBytes > b.allocatableBytes;
    lines.push(
      `  pool ${b.pool}: ${toMiB(b.usedBytes)} MiB of ${toMiB(b.allocatableBytes)} MiB${over ? `  OVER by ${toMiB(b.usedBytes - b.allocatableBytes)} MiB` : ''}`,
    );
    lines.push(
      `    ${'workload'.padEnd(44)} ${'replicas'.padStart(8)} ${'limit MiB'.padStart(10)} ${'total MiB'.padStart(10)}`,
    );
    for (const u of b.users) {
      lines.push(
        `    ${u.who.padEnd(44)} ${String(u.replicas).padStart(8)} ${String(toMiB(u.limitBytes)).padStart(10)} ${String(toMiB(u.limitBytes * u.replicas)).padStart(10)}`,
      );
    }
  }
  return lines.join('\n');
}

/** `[#########-----] 2816/3584 MiB (79%)` */
export function budgetBar(used: number, total: number, width = 30): string {
  const ratio = total > 0 ? used / total : 1;
  const filled = Math.min(width, Math.round(ratio * width));
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${toMiB(used)}/${toMiB(total)} MiB (${Math.round(ratio * 100)}%)`;
}

export const quantityBytes = parseQuantity;
