import { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { S3BucketVersioningA } from '@cdktn/provider-aws/lib/s3-bucket-versioning';
import { TerraformStack, Testing } from 'cdktn';
import { SecurityGroup, StateBucket, useStateBackend } from '../src';
import { resourcesOf, synth } from './helpers';

Testing.setupJest();

describe('StateBucket', () => {
  it('is versioned, encrypted, private, TLS-only and kept on destroy', () => {
    const { text, json } = synth(
      (s) => new StateBucket(s, 'State', { bucketName: 'hybrid-tfstate-dev-111111111111' }),
    );
    expect(text).toHaveResourceWithProperties(S3Bucket, {
      bucket: 'hybrid-tfstate-dev-111111111111',
      force_destroy: false,
      lifecycle: { prevent_destroy: true },
    });
    expect(text).toHaveResourceWithProperties(S3BucketVersioningA, {
      versioning_configuration: { status: 'Enabled' },
    });
    expect(resourcesOf(json, 'aws_s3_bucket_public_access_block')[0]).toMatchObject({
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    const policy = JSON.parse(resourcesOf(json, 'aws_s3_bucket_policy')[0]!.policy as string) as {
      Statement: unknown[];
    };
    expect(policy.Statement).toEqual([
      expect.objectContaining({ Sid: 'DenyInsecureTransport', Effect: 'Deny' }),
    ]);
  });
});

describe('useStateBackend', () => {
  it('chooses S3 with a lockfile when a bucket is configured, else a local file', () => {
    const app = Testing.app();
    const remote = new TerraformStack(app, 'remote');
    expect(
      useStateBackend(remote, { bucket: 'b', region: 'ap-northeast-2', key: 'remote/terraform.tfstate' }),
    ).toBe('s3');
    const local = new TerraformStack(app, 'local');
    expect(
      useStateBackend(local, { bucket: undefined, region: 'ap-northeast-2', key: 'local/terraform.tfstate' }),
    ).toBe('local');
    const backend = (st: TerraformStack) =>
      (JSON.parse(Testing.synth(st)) as { terraform: { backend: unknown } }).terraform.backend;
    expect(backend(remote)).toEqual({
      s3: {
        bucket: 'b',
        key: 'remote/terraform.tfstate',
        region: 'ap-northeast-2',
        encrypt: true,
        use_lockfile: true,
      },
    });
    expect(backend(local)).toEqual({ local: { path: '../../../terraform.local.tfstate' } });
  });
});

describe('SecurityGroup', () => {
  it('requires a description that says what it guards', () => {
    expect(() => synth((s) => new SecurityGroup(s, 'G', { vpcId: 'vpc-1', description: 'sg' }))).toThrow(
      /description "sg" is too short/,
    );
  });
});
