import type { TopologyName } from './topology';
import { gameServer } from './workloads/drawguess';

/**
 * The deployment environments and the facts both infrastructure sides need about them: the AWS
 * stacks (infra-aws) create what is named here, and the Kubernetes manifests (infra-k8s) point at
 * it. One typed source, so a cluster name, a CIDR, a bucket, a host or an address cannot disagree
 * between the two. Nothing here is secret; AWS-only details stay in infra-aws.
 */
export const environmentNames = ['dev', 'prod'] as const;
export type EnvironmentName = (typeof environmentNames)[number];

export interface EnvironmentFacts {
  readonly name: EnvironmentName;
  readonly region: string;
  /** DrawGuess: the edge VPC on AWS and the Raspberry Pi cluster behind the tunnel. */
  readonly edge: {
    /** The edge VPC (RDS lives here; the Pi reaches it through the tunnel). */
    readonly vpcCidr: string;
    /** The Pi cluster's LAN, advertised into the tailnet by its subnet router. */
    readonly piLanCidr: string;
    /** MetalLB's address range on the Pi LAN; contains `piIngressAddress`. */
    readonly piLanPool: string;
    /** The game Service's MetalLB address: the edge proxy's upstream. */
    readonly piIngressAddress: string;
    /** The game Service's port: the edge proxy's upstream port. */
    readonly piIngressPort: number;
    /** Public hostname of the game API (the edge proxy's server name). */
    readonly apiHostname: string;
    /** Hostname of the web client's site. */
    readonly siteHostname: string;
    /** Origin of the web client (the game server's CORS origin). */
    readonly siteOrigin: string;
  };
  /** Waste Coach: the kubeadm cluster on EC2. */
  readonly cluster: {
    /** kubeadm cluster name; subnets are tagged `kubernetes.io/cluster/<name>`. */
    readonly name: string;
    readonly vpcCidr: string;
    readonly topology: TopologyName;
    /** Route53 zone; the ACM certificate covers it and `*.<domain>`. */
    readonly domain: string;
    /** Public host of the ALB (inside `domain`). */
    readonly apiHost: string;
    /** The web app's origin (allowed to PUT images with presigned URLs). */
    readonly appOrigin: string;
    readonly imagesBucket: string;
  };
}

/** Base name of the images bucket; each environment's bucket is `<base>-<env>`. */
export const imagesBucketBase = 'waste-coach-images';

function facts(
  name: EnvironmentName,
  o: {
    edgeVpcCidr: string;
    piLan: string;
    apiHostname: string;
    siteHostname: string;
    clusterVpcCidr: string;
    topology: TopologyName;
    domain: string;
  },
): EnvironmentFacts {
  const lan = o.piLan.replace(/\.0\/24$/, '');
  return {
    name,
    region: 'ap-northeast-2',
    edge: {
      vpcCidr: o.edgeVpcCidr,
      piLanCidr: o.piLan,
      piLanPool: `${lan}.240-${lan}.250`,
      piIngressAddress: `${lan}.240`,
      piIngressPort: gameServer.port!,
      apiHostname: o.apiHostname,
      siteHostname: o.siteHostname,
      siteOrigin: `https://${o.siteHostname}`,
    },
    cluster: {
      name: `waste-coach-${name}`,
      vpcCidr: o.clusterVpcCidr,
      topology: o.topology,
      domain: o.domain,
      apiHost: `api.${o.domain}`,
      appOrigin: `https://app.${o.domain}`,
      imagesBucket: `${imagesBucketBase}-${name}`,
    },
  };
}

export const environmentFacts: Readonly<Record<EnvironmentName, EnvironmentFacts>> = {
  dev: facts('dev', {
    edgeVpcCidr: '10.10.0.0/16',
    piLan: '192.168.50.0/24',
    apiHostname: 'api.dev.drawguess.example',
    siteHostname: 'play.dev.drawguess.example',
    clusterVpcCidr: '10.0.0.0/16',
    topology: 'tiered-4',
    domain: 'dev.wastecoach.example',
  }),
  prod: facts('prod', {
    edgeVpcCidr: '10.20.0.0/16',
    piLan: '192.168.60.0/24',
    apiHostname: 'api.drawguess.example',
    siteHostname: 'play.drawguess.example',
    clusterVpcCidr: '10.0.0.0/16',
    topology: 'per-service-14',
    domain: 'wastecoach.example',
  }),
};

export const isEnvironmentName = (s: string): s is EnvironmentName =>
  (environmentNames as readonly string[]).includes(s);
