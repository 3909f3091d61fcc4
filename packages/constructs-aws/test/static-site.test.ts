import { CloudfrontDistribution } from '@cdktn/provider-aws/lib/cloudfront-distribution';
import { S3BucketPublicAccessBlock } from '@cdktn/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketWebsiteConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-website-configuration';
import { Testing } from 'cdktn';
import { CLOUDFLARE_IPV4_RANGES, SecureBucket, StaticSite } from '../src';
import { resourcesOf, synth, synthWithComments, type TfJson } from './helpers';

Testing.setupJest();

const policyOf = (json: TfJson) =>
  JSON.parse(resourcesOf(json, 'aws_s3_bucket_policy')[0]!.policy as string) as {
    Statement: Record<string, unknown>[];
  };

describe('StaticSite', () => {
  it('cloudfront mode: private bucket read through OAC, HTTPS only, policy scoped to the distribution', () => {
    const { text, json } = synth((s) => new StaticSite(s, 'Site'));
    expect(text).toHaveResourceWithProperties(S3BucketPublicAccessBlock, {
      block_public_acls: true,
      block_public_policy: true,
      ignore_public_acls: true,
      restrict_public_buckets: true,
    });
    expect(text).toHaveResourceWithProperties(CloudfrontDistribution, {
      default_root_object: 'index.html',
      default_cache_behavior: expect.objectContaining({ viewer_protocol_policy: 'redirect-to-https' }),
    });
    const dist = resourcesOf(json, 'aws_cloudfront_distribution')[0] as {
      origin: { origin_access_control_id: string }[];
    };
    expect(dist.origin[0]!.origin_access_control_id).toMatch(/aws_cloudfront_origin_access_control/);
    const stmts = policyOf(json).Statement;
    expect(stmts.map((x) => x.Sid)).toEqual(['DenyInsecureTransport', 'CloudFrontReadOnly']);
    expect(stmts[1]).toMatchObject({
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Condition: {
        StringEquals: { 'AWS:SourceArn': expect.stringMatching(/aws_cloudfront_distribution\..*\.arn/) },
      },
    });
    expect(text).not.toHaveResource(S3BucketWebsiteConfiguration);
  });

  it('cloudflare mode: website endpoint readable only from Cloudflare ranges, never world-readable', () => {
    const { text, json } = synth(
      (s) => new StaticSite(s, 'Site', { cdn: 'cloudflare', domainName: 'play.drawguess.example' }),
    );
    expect(text).toHaveResource(S3BucketWebsiteConfiguration);
    expect(text).not.toHaveResource(CloudfrontDistribution);
    const [read] = policyOf(json).Statement;
    expect(read).toMatchObject({
      Effect: 'Allow',
      Principal: '*',
      Action: 's3:GetObject',
      Condition: { IpAddress: { 'aws:SourceIp': [...CLOUDFLARE_IPV4_RANGES] } },
    });
    expect(resourcesOf(json, 'aws_s3_bucket')[0]).toMatchObject({ bucket: 'play.drawguess.example' });
    const pab = resourcesOf(
      synthWithComments(
        (s) => new StaticSite(s, 'Site', { cdn: 'cloudflare', domainName: 'play.drawguess.example' }),
      ),
      'aws_s3_bucket_public_access_block',
    )[0] as Record<string, unknown>;
    expect(pab).toMatchObject({
      block_public_acls: true,
      ignore_public_acls: true,
      block_public_policy: false,
    });
    expect(
      (pab['//'] as { policy: { acknowledgements: Record<string, string> } }).policy.acknowledgements[
        'TF-S3-001'
      ],
    ).toMatch(/Cloudflare/);
  });

  it('rejects cloudflare mode without a domain and with a world-open range', () => {
    expect(() =>
      synth((s) => new StaticSite(s, 'Site', { cdn: 'cloudflare', cloudflareRanges: ['0.0.0.0/0'] })),
    ).toThrow(/2 problems[\s\S]*needs domainName[\s\S]*would make the bucket world-readable/);
  });

  it('rejects a CloudFront alias without a certificate', () => {
    expect(() => synth((s) => new StaticSite(s, 'Site', { domainName: 'play.drawguess.example' }))).toThrow(
      /needs certificateArn/,
    );
  });
});

describe('SecureBucket', () => {
  it('has every safe default and a TLS-only policy', () => {
    const { json } = synth((s) => new SecureBucket(s, 'B', { bucketName: 'hybrid-test-bucket' }));
    for (const t of [
      'aws_s3_bucket_versioning',
      'aws_s3_bucket_server_side_encryption_configuration',
      'aws_s3_bucket_ownership_controls',
      'aws_s3_bucket_lifecycle_configuration',
    ]) {
      expect(resourcesOf(json, t)).toHaveLength(1);
    }
    expect(policyOf(json).Statement[0]).toMatchObject({
      Effect: 'Deny',
      Condition: { Bool: { 'aws:SecureTransport': 'false' } },
    });
  });

  it('adds CORS for presigned PUT from one origin', () => {
    const { json } = synth(
      (s) =>
        new SecureBucket(s, 'B', {
          cors: [{ allowedMethods: ['PUT'], allowedOrigins: ['https://app.wastecoach.example'] }],
        }),
    );
    expect(resourcesOf(json, 'aws_s3_bucket_cors_configuration')[0]).toMatchObject({
      cors_rule: [
        expect.objectContaining({
          allowed_methods: ['PUT'],
          allowed_origins: ['https://app.wastecoach.example'],
        }),
      ],
    });
  });

  it('rejects a wildcard CORS origin and a bad bucket name', () => {
    expect(() =>
      synth(
        (s) =>
          new SecureBucket(s, 'B', {
            bucketName: 'Bad_Name',
            cors: [{ allowedMethods: ['PUT'], allowedOrigins: ['*'] }],
          }),
      ),
    ).toThrow(/2 problems[\s\S]*"Bad_Name" is not a valid S3 bucket name[\s\S]*cors origin "\*"/);
  });
});
