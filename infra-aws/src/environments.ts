import { catalog, topologies, type TopologyName } from '@hybrid/catalog';
import { CLOUDFLARE_IPV4_RANGES, TAILNET_CIDR, type CdnMode } from '@hybrid/constructs-aws';

/** Everything that differs between environments, typed. Nothing here is secret. */
export interface Environment {
  readonly name: 'dev' | 'prod';
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

/** The images bucket's base name, from the scan service's env contract in the catalog. */
const imagesBucketBase = String(catalog.get('scan').env.IMAGES_BUCKET?.default ?? 'waste-coach-images');

const stateBucketFromEnv = (env: string): string | undefined =>
  process.env[`HYBRID_STATE_BUCKET_${env.toUpperCase()}`] || undefined;
const accountFromEnv = (env: string, fallback: string): string =>
  process.env[`HYBRID_AWS_ACCOUNT_${env.toUpperCase()}`] || fallback;

export const environments: Readonly<Record<Environment['name'], Environment>> = {
  dev: {
    name: 'dev',
    region: 'ap-northeast-2',
    accountId: accountFromEnv('dev', '111111111111'),
    stateBucket: stateBucketFromEnv('dev'),
    tags: { project: 'hybrid', environment: 'dev', 'managed-by': 'cdktn' },
    edge: {
      vpcCidr: '10.10.0.0/16',
      piLanCidr: '192.168.50.0/24',
      piIngressAddress: '192.168.50.240',
      piIngressPort: 80,
      apiHostname: 'api.dev.drawguess.example',
      cdnRanges: CLOUDFLARE_IPV4_RANGES,
      site: { cdn: 'cloudfront' },
      proxyInstanceType: 't4g.small',
      databaseClass: 'db.t4g.medium',
      tailscaleAuthKeyParameter: '/drawguess/dev/tailscale-auth-key',
    },
    cluster: {
      vpcCidr: '10.0.0.0/16',
      topology: 'tiered-4',
      adminCidrs: [],
      domain: undefined,
      appOrigin: 'https://app.dev.wastecoach.example',
      imagesBucket: `${imagesBucketBase}-dev`,
    },
  },
  prod: {
    name: 'prod',
    region: 'ap-northeast-2',
    accountId: accountFromEnv('prod', '222222222222'),
    stateBucket: stateBucketFromEnv('prod'),
    tags: { project: 'hybrid', environment: 'prod', 'managed-by': 'cdktn' },
    edge: {
      vpcCidr: '10.20.0.0/16',
      piLanCidr: '192.168.60.0/24',
      piIngressAddress: '192.168.60.240',
      piIngressPort: 80,
      apiHostname: 'api.drawguess.example',
      cdnRanges: CLOUDFLARE_IPV4_RANGES,
      site: { cdn: 'cloudflare', domainName: 'play.drawguess.example' },
      proxyInstanceType: 't4g.medium',
      databaseClass: 'db.m7g.large',
      tailscaleAuthKeyParameter: '/drawguess/prod/tailscale-auth-key',
    },
    cluster: {
      vpcCidr: '10.0.0.0/16',
      topology: 'per-service-14',
      adminCidrs: ['203.0.113.0/24'],
      domain: 'wastecoach.example',
      appOrigin: 'https://app.wastecoach.example',
      imagesBucket: `${imagesBucketBase}-prod`,
    },
  },
};

export { TAILNET_CIDR, topologies };
