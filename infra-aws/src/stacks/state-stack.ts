import { StateBucket } from '@hybrid/constructs-aws';
import { TerraformOutput } from 'cdktn';
import type { Construct } from 'constructs';
import type { Environment } from '../environments';
import { EnvironmentStack } from './base';

/** The remote-state bucket of an environment. Its own state stays local (it creates the bucket). */
export class StateStack extends EnvironmentStack {
  readonly state: StateBucket;

  constructor(scope: Construct, id: string, env: Environment) {
    super(scope, id, { ...env, stateBucket: undefined });
    this.state = new StateBucket(this, 'State', {
      bucketName: env.stateBucket ?? `hybrid-tfstate-${env.name}-${env.accountId}`,
    });
    new TerraformOutput(this, 'state_bucket', {
      value: this.state.bucket.name,
      description: `Set HYBRID_STATE_BUCKET_${env.name.toUpperCase()} to this name to move the other stacks onto the S3 backend`,
    });
  }
}
