import { environmentFacts, topologies, type EnvironmentName, type TopologyName } from '@hybrid/catalog';
import { CLOUDFLARE_IPV4_RANGES, TAILNET_CIDR, type CdnMode } from '@hybrid/constructs-aws';

/** Everything that differs between environments, typed. Nothing here is secret. */
export interface Environment {
  readonly name: EnvironmentName;
  readonly region: string;
  /** The AWS account the stacks deploy to (used to scope IAM ARNs). */
  readonly accountId: string;
  /** Remote state bucket; when unset the stacks use a local backend (offline synth). */
  readonly stateBucket: string | undefined;
  readonly tags: Readonly<Record<string, string>>;
  readonly edge: {
    readonly vpcCidr: string;
    /** The Pi cluster's LAN, advertised into the tailnet by its subnet router. */
    readonly piLanCidr: string;
    /** MetalLB address of the Pi cluster's ingress, reached over the tunnel. */
    readonly piIngressAddress: string;
    readonly piIngressPort: number;
    readonly apiHostname: string;
    /** Ranges allowed on the proxy's 80/443 (the CDN in front of the API hostname). */
    readonly cdnRanges: readonly string[];
    readonly site: { readonly cdn: CdnMode; readonly domainName?: string; readonly certificateArn?: string };
    readonly proxyInstanceType: string;
    readonly databaseClass: string;
    readonly tailscaleAuthKeyParameter: string;
  };
  readonly cluster: {
    /** kubeadm cluster name (subnet and security group tags, the LB controller's clusterName). */
    readonly name: string;
    readonly vpcCidr: string;
    readonly topology: TopologyName;
    readonly adminCidrs: readonly string[];
    /** Route53 zone for the ACM certificate; unset means no certificate or records. */
    readonly domain: string | undefined;
    /** The web app's origin allowed to PUT images with presigned URLs. */
    readonly appOrigin: string;
    readonly imagesBucket: string;
  };
}

const stateBucketFromEnv = (env: string): string | undefined =>
  process.env[`HYBRID_STATE_BUCKET_${env.toUpperCase()}`] || undefined;
const accountFromEnv = (env: string, fallback: string): string =>
  process.env[`HYBRID_AWS_ACCOUNT_${env.toUpperCase()}`] || fallback;

/**
 * An environment from the facts shared with infra-k8s (`environmentFacts` in @hybrid/catalog) plus
 * the AWS-only details. Both web sites sit behind Cloudflare like the API hostnames, so the site's
 * origin (the game server's CORS origin) is known before apply.
 */
function environment(
  name: Environment['name'],
  aws: {
    accountId: string;
    proxyInstanceType: string;
    databaseClass: string;
    adminCidrs: readonly string[];
  },
): Environment {
  const f = environmentFacts[name];
  return {
    name,
    region: f.region,
    accountId: accountFromEnv(name, aws.accountId),
    stateBucket: stateBucketFromEnv(name),
    tags: { project: 'hybrid', environment: name, 'managed-by': 'cdktn' },
    edge: {
      vpcCidr: f.edge.vpcCidr,
      piLanCidr: f.edge.piLanCidr,
      piIngressAddress: f.edge.piIngressAddress,
      piIngressPort: f.edge.piIngressPort,
      apiHostname: f.edge.apiHostname,
      cdnRanges: CLOUDFLARE_IPV4_RANGES,
      site: { cdn: 'cloudflare', domainName: f.edge.siteHostname },
      proxyInstanceType: aws.proxyInstanceType,
      databaseClass: aws.databaseClass,
      tailscaleAuthKeyParameter: `/drawguess/${name}/tailscale-auth-key`,
    },
    cluster: {
      name: f.cluster.name,
      vpcCidr: f.cluster.vpcCidr,
      topology: f.cluster.topology,
      adminCidrs: aws.adminCidrs,
      domain: f.cluster.domain,
      appOrigin: f.cluster.appOrigin,
      imagesBucket: f.cluster.imagesBucket,
    },
  };
}

export const environments: Readonly<Record<Environment['name'], Environment>> = {
  dev: environment('dev', {
    accountId: '111111111111',
    proxyInstanceType: 't4g.small',
    databaseClass: 'db.t4g.medium',
    adminCidrs: [],
  }),
  prod: environment('prod', {
    accountId: '222222222222',
    proxyInstanceType: 't4g.medium',
    databaseClass: 'db.m7g.large',
    adminCidrs: ['203.0.113.0/24'],
  }),
};

export { TAILNET_CIDR, topologies };
