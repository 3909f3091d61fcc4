import { LocalBackend, S3Backend, type TerraformStack } from 'cdktn';
import { Construct } from 'constructs';
import { SecureBucket } from './secure-bucket';

export interface StateBucketProps {
  /** Globally unique bucket name, e.g. `hybrid-tfstate-dev-123456789012`. */
  readonly bucketName: string;
}

/**
 * The remote-state bucket: versioned, encrypted, public access blocked, TLS only, kept on destroy.
 * Locking uses S3 itself (`use_lockfile`), so no DynamoDB table.
 */
export class StateBucket extends Construct {
  readonly bucket: SecureBucket;

  constructor(scope: Construct, id: string, props: StateBucketProps) {
    super(scope, id);
    this.bucket = new SecureBucket(this, 'Bucket', {
      bucketName: props.bucketName,
      retain: true,
      noncurrentVersionDays: 365,
    });
  }
}

export interface StateBackendOptions {
  /** The state bucket; when absent the stack keeps its state in a local file (offline synth). */
  readonly bucket?: string | undefined;
  readonly region: string;
  /** Object key, e.g. `edge-dev/terraform.tfstate`. */
  readonly key: string;
}

/** S3 backend with S3-native locking when a bucket is configured, else a local backend. */
export function useStateBackend(stack: TerraformStack, o: StateBackendOptions): 's3' | 'local' {
  if (o.bucket) {
    new S3Backend(stack, {
      bucket: o.bucket,
      key: o.key,
      region: o.region,
      encrypt: true,
      useLockfile: true,
    });
    return 's3';
  }
  // Relative to the stack's working directory (cdktf.out/stacks/<stack>): the file lands next to cdktf.json.
  new LocalBackend(stack, { path: `../../../terraform.${o.key.split('/')[0] ?? 'stack'}.tfstate` });
  return 'local';
}
