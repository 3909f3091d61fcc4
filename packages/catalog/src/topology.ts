import type { NodeRole } from './types';

/**
 * Node pools of the self-managed kubeadm cluster on EC2. The AWS constructs launch them; the
 * Kubernetes side places workloads by role and checks each pool's capacity against what lands
 * there. One typed source for both.
 */
export interface InstanceShape {
  readonly vcpu: number;
  readonly memoryMiB: number;
  readonly arch: 'x86_64' | 'arm64';
}

/** Shapes of the instance types the presets use (from the EC2 instance type tables). */
export const instanceShapes: Readonly<Record<string, InstanceShape>> = {
  't3.medium': { vcpu: 2, memoryMiB: 4096, arch: 'x86_64' },
  't3.large': { vcpu: 2, memoryMiB: 8192, arch: 'x86_64' },
  't3.xlarge': { vcpu: 4, memoryMiB: 16384, arch: 'x86_64' },
  't4g.small': { vcpu: 2, memoryMiB: 2048, arch: 'arm64' },
  't4g.medium': { vcpu: 2, memoryMiB: 4096, arch: 'arm64' },
  't4g.large': { vcpu: 2, memoryMiB: 8192, arch: 'arm64' },
};

export interface NodePool {
  readonly name: string;
  readonly role: NodeRole;
  readonly instanceType: string;
  readonly count: number;
  /** Taint `node-role.hybrid.dev/<role>=true:NoSchedule` so only placed workloads land. @default true except for api */
  readonly tainted: boolean;
}

export interface ClusterTopology {
  readonly name: string;
  readonly pools: readonly NodePool[];
}

/** The label and taint key for a role. */
/**
 * The Service node port range (kube-apiserver's default, which the kubeadm cluster keeps): the
 * cluster stack admits the ALB to it on the nodes, and the ALB's backend Services take their
 * fixed node ports from it.
 */
export const NODE_PORT_RANGE = { from: 30000, to: 32767 } as const;

export const nodeRoleKey = (role: NodeRole): string => `node-role.hybrid.dev/${role}`;

export const topologies = {
  /** The source design's first layout: one node per tier. */
  'tiered-4': {
    name: 'tiered-4',
    pools: [
      { name: 'control-plane', role: 'control-plane', instanceType: 't3.large', count: 1, tainted: true },
      { name: 'api', role: 'api', instanceType: 't3.medium', count: 1, tainted: false },
      { name: 'worker', role: 'worker', instanceType: 't3.medium', count: 1, tainted: true },
      { name: 'storage', role: 'storage', instanceType: 't3.large', count: 1, tainted: true },
    ],
  },
  /** The source design's per-service layout: 1 control plane, 7 API nodes, 2 workers, 4 infra. */
  'per-service-14': {
    name: 'per-service-14',
    pools: [
      { name: 'control-plane', role: 'control-plane', instanceType: 't3.large', count: 1, tainted: true },
      { name: 'api', role: 'api', instanceType: 't3.medium', count: 7, tainted: false },
      { name: 'worker', role: 'worker', instanceType: 't3.medium', count: 2, tainted: true },
      { name: 'infra', role: 'infra', instanceType: 't3.large', count: 2, tainted: true },
      { name: 'storage', role: 'storage', instanceType: 't3.large', count: 2, tainted: true },
    ],
  },
} as const satisfies Record<string, ClusterTopology>;

export type TopologyName = keyof typeof topologies;

/** Problems with a topology (no control plane, unknown instance type, bad counts), all at once. */
export function validateTopology(t: ClusterTopology): string[] {
  const problems: string[] = [];
  if (!t.pools.some((p) => p.role === 'control-plane' && p.count >= 1)) {
    problems.push(
      `topology "${t.name}" has no control plane: add a pool with role "control-plane" and count >= 1`,
    );
  }
  const names = new Set<string>();
  for (const p of t.pools) {
    if (names.has(p.name)) problems.push(`topology "${t.name}": pool "${p.name}" is declared twice`);
    names.add(p.name);
    if (!instanceShapes[p.instanceType]) {
      problems.push(
        `topology "${t.name}": pool "${p.name}" uses unknown instance type "${p.instanceType}" (known: ${Object.keys(instanceShapes).join(', ')})`,
      );
    }
    if (!Number.isInteger(p.count) || p.count < 0)
      problems.push(`topology "${t.name}": pool "${p.name}" count must be a whole number >= 0`);
  }
  return problems;
}
