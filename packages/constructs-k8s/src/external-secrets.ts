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
