import { S3Bucket } from '@cdktn/provider-aws/lib/s3-bucket';
import { S3BucketCorsConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-cors-configuration';
import {
  S3BucketLifecycleConfiguration,
  type S3BucketLifecycleConfigurationRule,
} from '@cdktn/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketOwnershipControls } from '@cdktn/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktn/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktn/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktn/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktn/provider-aws/lib/s3-bucket-versioning';
import { Lazy } from 'cdktn';
import { Construct } from 'constructs';
import { throwIfProblems } from './validation';

/** One IAM policy statement. */
export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: 'Allow' | 'Deny';
  readonly Principal: unknown;
  readonly Action: string | readonly string[];
  readonly Resource: string | readonly string[];
  readonly Condition?: Record<string, Record<string, unknown>>;
}

export interface CorsRule {
  readonly allowedMethods: readonly ('GET' | 'PUT' | 'POST' | 'HEAD')[];
  readonly allowedOrigins: readonly string[];
  /** @default ['*'] */
  readonly allowedHeaders?: readonly string[];
  /** @default 3000 */
  readonly maxAgeSeconds?: number;
}

export interface SecureBucketProps {
  /** Exact bucket name. @default a generated name from `namePrefix` */
  readonly bucketName?: string;
  /** @default the construct path */
  readonly namePrefix?: string;
  /**
   * Opt-out for a bucket served to the public through a policy with conditions (a website endpoint
   * behind Cloudflare): blocks ACLs but allows a bucket policy. @default false
   */
  readonly allowConditionalPublicPolicy?: boolean;
  /** Deny requests that do not use TLS. Only a website-endpoint bucket turns this off. @default true */
  readonly enforceTls?: boolean;
  /** Statements added to the bucket policy. @default [] */
  readonly policyStatements?: readonly PolicyStatement[];
  /** @default [] */
  readonly cors?: readonly CorsRule[];
  /** Days before non-current versions expire. @default 90 */
  readonly noncurrentVersionDays?: number;
  /** Extra lifecycle rules. @default [] */
  readonly lifecycleRules?: readonly S3BucketLifecycleConfigurationRule[];
  /** Keep the bucket (and its objects) when the stack is destroyed. @default true */
  readonly retain?: boolean;
}

/**
 * An S3 bucket with every safe default: public access blocked, ACLs disabled, SSE, versioning,
 * TLS-only bucket policy, lifecycle rules. Extra policy statements and CORS rules are added here so
 * the bucket has exactly one policy document.
 */
export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly publicAccessBlock: S3BucketPublicAccessBlock;
  readonly policy: S3BucketPolicy;
  private readonly statements: PolicyStatement[];
  readonly arn: string;
  readonly name: string;

  constructor(scope: Construct, id: string, props: SecureBucketProps = {}) {
    super(scope, id);
    const problems: string[] = [];
    if (props.bucketName !== undefined && !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(props.bucketName)) {
      problems.push(
        `bucketName "${props.bucketName}" is not a valid S3 bucket name (3-63 lower-case letters, digits, dots, hyphens)`,
      );
    }
    for (const c of props.cors ?? []) {
      for (const o of c.allowedOrigins) {
        if (o === '*' || !/^https:\/\/[a-z0-9.-]+(:\d+)?$/.test(o))
          problems.push(
            `cors origin "${o}" must be one https origin like "https://app.example.com" (no wildcard)`,
          );
      }
    }
    if (props.enforceTls === false && !props.policyStatements?.length) {
      problems.push(
        'enforceTls: false leaves the bucket policy empty; keep TLS enforced or pass policyStatements',
      );
    }
    throwIfProblems(`SecureBucket ${this.node.path}`, problems);
    const retain = props.retain ?? true;
    this.bucket = new S3Bucket(this, 'Resource', {
      ...(props.bucketName
        ? { bucket: props.bucketName }
        : { bucketPrefix: `${(props.namePrefix ?? this.node.path.replace(/\//g, '-')).toLowerCase()}-` }),
      forceDestroy: !retain,
      tags: { Name: this.node.path },
      lifecycle: { preventDestroy: retain },
    });
    this.arn = this.bucket.arn;
    this.name = this.bucket.bucket;
    const conditional = props.allowConditionalPublicPolicy ?? false;
    this.publicAccessBlock = new S3BucketPublicAccessBlock(this, 'PublicAccessBlock', {
      bucket: this.bucket.id,
      blockPublicAcls: true,
      ignorePublicAcls: true,
      blockPublicPolicy: !conditional,
      restrictPublicBuckets: !conditional,
    });
    new S3BucketOwnershipControls(this, 'Ownership', {
      bucket: this.bucket.id,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    new S3BucketServerSideEncryptionConfigurationA(this, 'Encryption', {
      bucket: this.bucket.id,
      rule: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: 'AES256' }, bucketKeyEnabled: true }],
    });
    new S3BucketVersioningA(this, 'Versioning', {
      bucket: this.bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    new S3BucketLifecycleConfiguration(this, 'Lifecycle', {
      bucket: this.bucket.id,
      rule: [
        {
          id: 'abort-incomplete-uploads',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
        },
        {
          id: 'expire-noncurrent-versions',
          status: 'Enabled',
          filter: [{ prefix: '' }],
          noncurrentVersionExpiration: [{ noncurrentDays: props.noncurrentVersionDays ?? 90 }],
        },
        ...(props.lifecycleRules ?? []),
      ],
    });
    if (props.cors?.length) {
      new S3BucketCorsConfiguration(this, 'Cors', {
        bucket: this.bucket.id,
        corsRule: props.cors.map((c) => ({
          allowedMethods: [...c.allowedMethods],
          allowedOrigins: [...c.allowedOrigins],
          allowedHeaders: [...(c.allowedHeaders ?? ['*'])],
          exposeHeaders: ['ETag'],
          maxAgeSeconds: c.maxAgeSeconds ?? 3000,
        })),
      });
    }
    this.statements = [...(props.policyStatements ?? [])];
    if (props.enforceTls ?? true) {
      this.statements.unshift({
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [this.bucket.arn, `${this.bucket.arn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      });
    }
    // Rendered lazily so statements added after construction (addStatement) land in the one policy.
    this.policy = new S3BucketPolicy(this, 'Policy', {
      bucket: this.bucket.id,
      policy: Lazy.stringValue({
        produce: () => JSON.stringify({ Version: '2012-10-17', Statement: this.statements }),
      }),
      dependsOn: [this.publicAccessBlock],
    });
  }

  /** Adds a statement to the bucket's one policy document. */
  addStatement(statement: PolicyStatement): void {
    this.statements.push(statement);
  }
}
