import { SecurityGroup as SecurityGroupResource } from '@cdktn/provider-aws/lib/security-group';
import { VpcSecurityGroupEgressRule } from '@cdktn/provider-aws/lib/vpc-security-group-egress-rule';
import { VpcSecurityGroupIngressRule } from '@cdktn/provider-aws/lib/vpc-security-group-ingress-rule';
import { Construct } from 'constructs';

/** Where traffic comes from (ingress) or goes to (egress). */
export type Peer = { readonly cidr: string } | { readonly securityGroup: SecurityGroup };

/** A port, a port range, or every port of the protocol. */
export interface PortSpec {
  readonly protocol: 'tcp' | 'udp' | 'all';
  readonly from?: number;
  /** @default the same as `from` */
  readonly to?: number;
}

export const tcp = (from: number, to = from): PortSpec => ({ protocol: 'tcp', from, to });
export const udp = (from: number, to = from): PortSpec => ({ protocol: 'udp', from, to });
export const allTraffic: PortSpec = { protocol: 'all' };

export interface SecurityGroupProps {
  readonly vpcId: string;
  /** Shown in the console and checked by the policy pack; say what the group guards. */
  readonly description: string;
  /** @default the construct path */
  readonly name?: string;
  readonly tags?: Readonly<Record<string, string>>;
}

/** A security group whose rules are separate resources, each with a description. No rule is implicit. */
export class SecurityGroup extends Construct {
  readonly resource: SecurityGroupResource;
  readonly id: string;
  private count = 0;

  constructor(scope: Construct, id: string, props: SecurityGroupProps) {
    super(scope, id);
    if (props.description.trim().length < 10) {
      throw new Error(
        `SecurityGroup ${this.node.path}: description "${props.description}" is too short; say what the group guards`,
      );
    }
    this.resource = new SecurityGroupResource(this, 'Resource', {
      namePrefix: `${props.name ?? this.node.path.replace(/\//g, '-')}-`,
      description: props.description,
      vpcId: props.vpcId,
      revokeRulesOnDelete: true,
      tags: { Name: props.name ?? this.node.path, ...props.tags },
      lifecycle: { createBeforeDestroy: true },
    });
    this.id = this.resource.id;
  }

  /** Admits `ports` from `peer`. */
  allowIngress(peer: Peer, ports: PortSpec, description: string, id?: string): VpcSecurityGroupIngressRule {
    return new VpcSecurityGroupIngressRule(this, id ?? `In${this.count++}`, {
      securityGroupId: this.id,
      description,
      ...ruleTarget(peer),
      ...rulePorts(ports),
    });
  }

  /** Lets `ports` out to `peer`. */
  allowEgress(peer: Peer, ports: PortSpec, description: string, id?: string): VpcSecurityGroupEgressRule {
    return new VpcSecurityGroupEgressRule(this, id ?? `Out${this.count++}`, {
      securityGroupId: this.id,
      description,
      ...ruleTarget(peer),
      ...rulePorts(ports),
    });
  }
}

function ruleTarget(peer: Peer): { cidrIpv4: string } | { referencedSecurityGroupId: string } {
  return 'cidr' in peer ? { cidrIpv4: peer.cidr } : { referencedSecurityGroupId: peer.securityGroup.id };
}

function rulePorts(p: PortSpec): { ipProtocol: string; fromPort?: number; toPort?: number } {
  if (p.protocol === 'all') return { ipProtocol: '-1' };
  if (p.from === undefined) throw new Error(`a ${p.protocol} rule needs a port`);
  return { ipProtocol: p.protocol, fromPort: p.from, toPort: p.to ?? p.from };
}
