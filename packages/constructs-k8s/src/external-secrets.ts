import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { Problems } from './errors';

export interface AwsSecretStoreProps {
  readonly region: string;
}

/** A ClusterSecretStore over AWS Secrets Manager (node instance profile credentials). */
export class AwsSecretStore extends Construct {
  readonly storeName: string;
  constructor(scope: Construct, id: string, name: string, props: AwsSecretStoreProps) {
    super(scope, id);
    const problems = new Problems();
    if (!/^[a-z]{2}(-[a-z]+)+-\d$/.test(props.region))
      problems.add(`AwsSecretStore "${name}": "${props.region}" is not an AWS region`);
    problems.throwIfAny('AwsSecretStore');
    this.storeName = name;
    new ApiObject(this, 'Resource', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ClusterSecretStore',
      metadata: { name },
      spec: { provider: { aws: { service: 'SecretsManager', region: props.region } } },
    });
  }
}

export interface StoreSecretProps {
  readonly namespace: string;
  /** The ClusterSecretStore to read from. */
  readonly store: string;
  /** Name of the secret in the store (e.g. `<namespace>/<workload>` in Secrets Manager). */
  readonly remoteKey: string;
  /** Properties of the remote secret; each becomes a key of the Kubernetes Secret. */
  readonly keys: readonly string[];
  /** @default none */
  readonly labels?: Readonly<Record<string, string>>;
}

/** An ExternalSecret that makes Secret `name` from properties of one secret in a ClusterSecretStore. */
export class StoreSecret extends Construct {
  readonly secretName: string;
  constructor(scope: Construct, id: string, name: string, props: StoreSecretProps) {
    super(scope, id);
    const problems = new Problems();
    if (!props.keys.length) problems.add(`StoreSecret "${name}": no keys`);
    problems.throwIfAny('StoreSecret');
    this.secretName = name;
    new ApiObject(this, 'Resource', {
      apiVersion: 'external-secrets.io/v1',
      kind: 'ExternalSecret',
      metadata: {
        name,
        namespace: props.namespace,
        ...(props.labels ? { labels: { ...props.labels } } : {}),
      },
      spec: {
        refreshInterval: '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: props.store },
        target: { name, creationPolicy: 'Owner' },
        data: props.keys.map((k) => ({ secretKey: k, remoteRef: { key: props.remoteKey, property: k } })),
      },
    });
  }
}
