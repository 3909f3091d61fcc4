import { Construct } from 'constructs';
import { k8s } from './k8s';
import { DefaultDeny } from './network-policy';

export interface PlatformNamespaceProps {
  /** Pod Security admission level enforced in the namespace. @default 'restricted' */
  readonly podSecurity?: 'restricted' | 'baseline' | 'privileged';
  /** Add a default-deny NetworkPolicy. @default true */
  readonly defaultDeny?: boolean;
}

/** A namespace with Pod Security admission labels and a default-deny NetworkPolicy. */
export class PlatformNamespace extends Construct {
  readonly name: string;
  constructor(scope: Construct, id: string, name: string, props: PlatformNamespaceProps = {}) {
    super(scope, id);
    this.name = name;
    const level = props.podSecurity ?? 'restricted';
    new k8s.KubeNamespace(this, 'Resource', {
      metadata: {
        name,
        labels: {
          'kubernetes.io/metadata.name': name,
          'pod-security.kubernetes.io/enforce': level,
          'pod-security.kubernetes.io/warn': 'restricted',
        },
      },
    });
    if (props.defaultDeny ?? true) new DefaultDeny(this, 'DefaultDeny', name);
  }
}
