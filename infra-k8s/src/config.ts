import { postgresBackupBucketBase, topologies, type TopologyName } from '@hybrid/catalog';

/** Everything a synth needs besides the catalog; environment variables override the defaults. */
export interface SynthConfig {
  /** Registry host (and path) in front of every platform image. @default none (IMAGE_REGISTRY) */
  readonly imageRegistry?: string;
  /** Git repository ArgoCD syncs from. (GITOPS_REPO_URL) */
  readonly repoUrl: string;
  /** Branch ArgoCD follows. (GITOPS_REVISION) */
  readonly revision: string;
  /** Folder of the committed manifests in the repository. */
  readonly distPath: string;
  readonly pi: {
    /** The Pi's RAM. */
    readonly nodeMemoryMiB: number;
    /** Memory kept for the OS, kubelet and containerd. (PI_SYSTEM_RESERVE_MIB) */
    readonly systemReserveMiB: number;
    /** MetalLB addresses on the LAN. */
    readonly lanPool: readonly string[];
    /** The LAN routes the Tailscale router advertises. */
    readonly advertiseRoutes: readonly string[];
    /** The AWS VPC reached through the tunnel (RDS). */
    readonly awsVpcCidr: string;
    /** The web client's origin (CORS). */
    readonly webOrigin: string;
    readonly domain: string;
  };
  readonly kubeadm: {
    readonly topology: TopologyName;
    /** Memory kept per node for the OS, kubelet and containerd. (KUBEADM_NODE_RESERVE_MIB) */
    readonly nodeReserveMiB: number;
    readonly clusterName: string;
    readonly region: string;
    /** The cluster's VPC (ALB targets come from it). */
    readonly vpcCidr: string;
    /** Public host of the ALB. */
    readonly domain: string;
    /** ACM certificate of the ALB listener. @default none: discovered from the host (ACM_CERTIFICATE_ARN) */
    readonly certificateArn?: string;
    /** Security group of the ALB: the cluster stack's `alb_security_group_id` output. @default none: the controller creates one (ALB_SECURITY_GROUP_ID) */
    readonly albSecurityGroupId?: string;
    /** Base name of the backups bucket; the job writes to `<base>-<account id>`, which the cluster stack creates. */
    readonly backupBucket: string;
    /** Secrets Manager store of the services' secrets. */
    readonly secretStore: string;
  };
}

export const defaultConfig: SynthConfig = {
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
    backupBucket: postgresBackupBucketBase,
    secretStore: 'aws-secrets-manager',
  },
};

/** The default configuration with the environment's overrides; bad values fail with the variable's name. */
export function configFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  base: SynthConfig = defaultConfig,
): SynthConfig {
  const problems: string[] = [];
  const int = (name: string, fallback: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) problems.push(`${name}="${v}" must be a whole number of MiB`);
    return n;
  };
  const topology = (env.KUBEADM_TOPOLOGY ?? base.kubeadm.topology) as TopologyName;
  if (!(topology in topologies))
    problems.push(`KUBEADM_TOPOLOGY="${topology}" is not one of ${Object.keys(topologies).join(', ')}`);
  const cert = env.ACM_CERTIFICATE_ARN || base.kubeadm.certificateArn;
  const registry = env.IMAGE_REGISTRY || base.imageRegistry;
  const albSg = env.ALB_SECURITY_GROUP_ID || base.kubeadm.albSecurityGroupId;
  const cfg: SynthConfig = {
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
      ...(albSg ? { albSecurityGroupId: albSg } : {}),
    },
  };
  if (problems.length) throw new Error(`synth configuration is invalid:\n  - ${problems.join('\n  - ')}`);
  return cfg;
}
