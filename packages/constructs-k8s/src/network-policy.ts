import { Construct } from 'constructs';
import { k8s } from './k8s';

/** Who may talk to whom: pods by labels (optionally in another namespace) or an IP block. */
export interface Peer {
  /** Namespace of the pods. @default the policy's own namespace */
  readonly namespace?: string;
  /** Pod labels. @default every pod of the namespace */
  readonly podLabels?: Readonly<Record<string, string>>;
  /** An IP range instead of pods (e.g. the AWS VPC through the tunnel, or `0.0.0.0/0`). */
  readonly cidr?: string;
}

export interface Rule {
  readonly peers: readonly Peer[];
  /** TCP ports. @default every port */
  readonly ports?: readonly number[];
}

/**
 * The EC2 instance metadata service, where the AWS SDKs and CLI get the node's instance-role
 * credentials (IMDSv2; the launch templates allow the extra hop a pod needs). Only for pods that
 * use the instance role: under a default deny nothing else reaches it.
 */
export const INSTANCE_METADATA: Rule = { peers: [{ cidr: '169.254.169.254/32' }], ports: [80] };

export interface AllowPolicyProps {
  readonly namespace: string;
  /** Pods the policy applies to. */
  readonly podLabels: Readonly<Record<string, string>>;
  readonly ingress?: readonly Rule[];
  readonly egress?: readonly Rule[];
  /** Allow DNS to kube-system. @default true when egress is given */
  readonly dns?: boolean;
  readonly labels?: Readonly<Record<string, string>>;
}

const NS_LABEL = 'kubernetes.io/metadata.name';

function peer(p: Peer): k8s.NetworkPolicyPeer {
  if (p.cidr) return { ipBlock: { cidr: p.cidr } };
  return {
    ...(p.namespace ? { namespaceSelector: { matchLabels: { [NS_LABEL]: p.namespace } } } : {}),
    podSelector: { matchLabels: { ...(p.podLabels ?? {}) } },
  };
}

const ports = (list: readonly number[]): k8s.NetworkPolicyPort[] =>
  list.map((port) => ({ protocol: 'TCP', port: k8s.IntOrString.fromNumber(port) }));

/** Explicit allows for one set of pods (the namespace's default deny blocks the rest). */
export class AllowPolicy extends Construct {
  constructor(scope: Construct, id: string, name: string, props: AllowPolicyProps) {
    super(scope, id);
    const types: string[] = [];
    const ingress: k8s.NetworkPolicyIngressRule[] | undefined = props.ingress?.map((r) => ({
      from: r.peers.map(peer),
      ...(r.ports ? { ports: ports(r.ports) } : {}),
    }));
    const egress: k8s.NetworkPolicyEgressRule[] | undefined = props.egress?.map((r) => ({
      to: r.peers.map(peer),
      ...(r.ports ? { ports: ports(r.ports) } : {}),
    }));
    if (egress && props.dns !== false) {
      egress.push({
        to: [
          {
            namespaceSelector: { matchLabels: { [NS_LABEL]: 'kube-system' } },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: [
          { protocol: 'UDP', port: k8s.IntOrString.fromNumber(53) },
          { protocol: 'TCP', port: k8s.IntOrString.fromNumber(53) },
        ],
      });
    }
    if (ingress) types.push('Ingress');
    if (egress) types.push('Egress');
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: {
        name,
        namespace: props.namespace,
        ...(props.labels ? { labels: { ...props.labels } } : {}),
      },
      spec: {
        podSelector: { matchLabels: { ...props.podLabels } },
        policyTypes: types,
        ...(ingress ? { ingress } : {}),
        ...(egress ? { egress } : {}),
      },
    });
  }
}

/** Denies all ingress and egress of every pod in a namespace; allows are added per workload. */
export class DefaultDeny extends Construct {
  constructor(scope: Construct, id: string, namespace: string) {
    super(scope, id);
    new k8s.KubeNetworkPolicy(this, 'Resource', {
      metadata: { name: 'default-deny', namespace },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
  }
}
