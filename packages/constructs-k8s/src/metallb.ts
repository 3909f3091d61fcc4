import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Problems } from './errors';

export interface MetalLbPoolProps {
  /** Address ranges (`a.b.c.d-a.b.c.e` or CIDR) on the Pi's LAN. */
  readonly addresses: readonly string[];
  /** @default 'metallb-system' */
  readonly namespace?: string;
}

const RANGE = /^(\d{1,3}(\.\d{1,3}){3})(\/\d{1,2}|-\d{1,3}(\.\d{1,3}){3})$/;

/** A MetalLB IPAddressPool announced over L2 (ARP) on the LAN. */
export class MetalLbPool extends Construct {
  readonly poolName: string;
  constructor(scope: Construct, id: string, name: string, props: MetalLbPoolProps) {
    super(scope, id);
    const problems = new Problems();
    if (!props.addresses.length) problems.add(`MetalLbPool "${name}": give at least one address range`);
    for (const a of props.addresses)
      if (!RANGE.test(a)) problems.add(`MetalLbPool "${name}": "${a}" is neither a CIDR nor a from-to range`);
    problems.throwIfAny('MetalLbPool');
    this.poolName = name;
    const namespace = props.namespace ?? 'metallb-system';
    new ApiObject(this, 'Resource', {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'IPAddressPool',
      metadata: { name, namespace },
      spec: { addresses: [...props.addresses], autoAssign: true },
    });
    new ApiObject(this, 'L2Advertisement', {
      apiVersion: 'metallb.io/v1beta1',
      kind: 'L2Advertisement',
      metadata: { name, namespace },
      spec: { ipAddressPools: [name] },
    });
  }
}
