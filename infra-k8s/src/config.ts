import {
  environmentFacts,
  environmentNames,
  isEnvironmentName,
  postgresBackupBucketBase,
  topologies,
  type EnvironmentName,
  type TopologyName,
} from '@hybrid/catalog';

/** Everything a synth needs besides the catalog; environment variables override the defaults. */
export interface SynthConfig {
  /** The environment whose facts (`environmentFacts` in @hybrid/catalog) the manifests use. (K8S_ENVIRONMENT) */
  readonly environment: EnvironmentName;
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
    /** The game Service's MetalLB address: the edge proxy's upstream (its port is the game server's). */
    readonly gameAddress: string;
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
    /** kubeadm cluster name: the subnets' `kubernetes.io/cluster/<name>` tag. */
    readonly clusterName: string;
    readonly region: string;
    /** The cluster's VPC (ALB targets come from it). */
    readonly vpcCidr: string;
    /** Public host of the ALB (covered by the environment's certificate). */
    readonly domain: string;
    /** IMAGES_BUCKET of the workloads that store scan images. */
    readonly imagesBucket: string;
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

/** The configuration of one environment: its facts plus what both environments share. */
export function configFor(environment: EnvironmentName): SynthConfig {
  const f = environmentFacts[environment];
  return {
    environment,
    repoUrl: 'https://github.com/hybrid-platform/hybrid.git',
    revision: 'main',
    distPath: 'infra-k8s/dist',
    pi: {
      nodeMemoryMiB: 4096,
      systemReserveMiB: 512,
      lanPool: [f.edge.piLanPool],
      gameAddress: f.edge.piIngressAddress,
      advertiseRoutes: [f.edge.piLanCidr],
      awsVpcCidr: f.edge.vpcCidr,
      webOrigin: f.edge.siteOrigin,
      domain: 'game.drawguess.example.com',
    },
    kubeadm: {
      topology: f.cluster.topology,
      nodeReserveMiB: 512,
      clusterName: f.cluster.name,
      region: f.region,
      vpcCidr: f.cluster.vpcCidr,
      domain: f.cluster.apiHost,
      imagesBucket: f.cluster.imagesBucket,
      backupBucket: postgresBackupBucketBase,
      secretStore: 'aws-secrets-manager',
    },
  };
}

/** The environment of the committed dist/. */
export const defaultEnvironment: EnvironmentName = 'prod';
export const defaultConfig: SynthConfig = configFor(defaultEnvironment);

/**
 * The configuration of the environment named by K8S_ENVIRONMENT (default prod) with the
 * variables' overrides (or `base` with the overrides); bad values fail with the variable's name.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env, baseConfig?: SynthConfig): SynthConfig {
  const problems: string[] = [];
  const envName = env.K8S_ENVIRONMENT || defaultEnvironment;
  const known = isEnvironmentName(envName);
  if (!baseConfig && !known)
    problems.push(`K8S_ENVIRONMENT="${envName}" is not one of ${environmentNames.join(', ')}`);
  const base = baseConfig ?? configFor(known ? envName : defaultEnvironment);
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
