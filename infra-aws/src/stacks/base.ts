import { AwsProvider } from '@cdktn/provider-aws/lib/provider';
import { useStateBackend } from '@hybrid/constructs-aws';
import { TerraformStack } from 'cdktn';
import type { Construct } from 'constructs';
import type { Environment } from '../environments';

/** A stack of one environment: the AWS provider (no credentials: the laptop's profile) and its backend. */
export class EnvironmentStack extends TerraformStack {
  readonly backend: 's3' | 'local';

  constructor(
    scope: Construct,
    id: string,
    readonly env: Environment,
  ) {
    super(scope, id);
    new AwsProvider(this, 'aws', {
      region: env.region,
      allowedAccountIds: [env.accountId],
      defaultTags: [{ tags: { ...env.tags, stack: id } }],
    });
    this.backend = useStateBackend(this, {
      bucket: env.stateBucket,
      region: env.region,
      key: `${id}/terraform.tfstate`,
    });
  }
}
