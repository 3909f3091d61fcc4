import { CloudfrontDistribution } from '@cdktn/provider-aws/lib/cloudfront-distribution';
import { CloudfrontOriginAccessControl } from '@cdktn/provider-aws/lib/cloudfront-origin-access-control';
import { S3BucketWebsiteConfiguration } from '@cdktn/provider-aws/lib/s3-bucket-website-configuration';
import { Construct } from 'constructs';
import { acknowledge } from './acknowledge';
import { CLOUDFLARE_IPV4_RANGES } from './cdn-ranges';
import { parseCidr } from './cidr';
import { SecureBucket } from './secure-bucket';
import { throwIfProblems } from './validation';

/** AWS managed cache policy "CachingOptimized". */
const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';

export type CdnMode = 'cloudfront' | 'cloudflare';

export interface StaticSiteProps {
  /**
   * `cloudfront`: private bucket read through Origin Access Control, HTTPS only.
   * `cloudflare`: S3 website endpoint whose bucket policy admits only Cloudflare's ranges.
   * @default 'cloudfront'
   */
  readonly cdn?: CdnMode;
  /** Cloudflare mode: the ranges allowed to read. @default CLOUDFLARE_IPV4_RANGES */
  readonly cloudflareRanges?: readonly string[];
  /** Cloudflare mode: the bucket name must equal the site hostname. CloudFront mode: an alias (needs `certificateArn`). */
  readonly domainName?: string;
  /** ACM certificate in us-east-1 for `domainName` (CloudFront mode). */
  readonly certificateArn?: string;
  /** @default 'PriceClass_100' */
  readonly priceClass?: string;
}

/** The web client's files in S3, served by CloudFront (default) or by Cloudflare. Never world-readable. */
export class StaticSite extends Construct {
  readonly bucket: SecureBucket;
  readonly cdn: CdnMode;
  readonly distribution: CloudfrontDistribution | undefined;
  /** The URL people open. */
  readonly url: string;

  constructor(scope: Construct, id: string, props: StaticSiteProps = {}) {
    super(scope, id);
    this.cdn = props.cdn ?? 'cloudfront';
    const problems: string[] = [];
    if (this.cdn === 'cloudflare') {
      if (!props.domainName)
        problems.push(
          'cdn "cloudflare" needs domainName: the bucket is named after the hostname Cloudflare proxies',
        );
      const ranges = props.cloudflareRanges ?? CLOUDFLARE_IPV4_RANGES;
      if (!ranges.length) problems.push('cloudflareRanges is empty: the site would be unreadable');
      for (const r of ranges) {
        const p = parseCidr(r);
        if (typeof p === 'string') problems.push(`cloudflareRanges: ${p}`);
        else if (p.prefix === 0)
          problems.push(
            `cloudflareRanges "${r}" would make the bucket world-readable; list Cloudflare's ranges`,
          );
      }
    } else if (props.domainName && !props.certificateArn) {
      problems.push(
        `domainName "${props.domainName}" needs certificateArn (an ACM certificate in us-east-1) in cloudfront mode`,
      );
    }
    throwIfProblems(`StaticSite ${this.node.path}`, problems);

    if (this.cdn === 'cloudflare') {
      const domain = props.domainName as string;
      this.bucket = new SecureBucket(this, 'Bucket', {
        bucketName: domain,
        allowConditionalPublicPolicy: true,
        enforceTls: false,
        retain: false,
        policyStatements: [
          {
            Sid: 'CloudflareReadOnly',
            Effect: 'Allow',
            Principal: '*',
            Action: 's3:GetObject',
            Resource: `arn:aws:s3:::${domain}/*`,
            Condition: {
              IpAddress: { 'aws:SourceIp': [...(props.cloudflareRanges ?? CLOUDFLARE_IPV4_RANGES)] },
            },
          },
        ],
      });
      acknowledge(
        this.bucket.publicAccessBlock,
        'TF-S3-001',
        'Cloudflare mode: a bucket policy limited to Cloudflare ranges must be allowed',
      );
      acknowledge(
        this.bucket.policy,
        'TF-S3-004',
        'S3 website endpoints speak HTTP only; Cloudflare terminates TLS for visitors',
      );
      new S3BucketWebsiteConfiguration(this, 'Website', {
        bucket: this.bucket.bucket.id,
        indexDocument: { suffix: 'index.html' },
        errorDocument: { key: 'index.html' },
      });
      this.distribution = undefined;
      this.url = `https://${domain}`;
      return;
    }

    this.bucket = new SecureBucket(this, 'Bucket', { retain: false });
    const oac = new CloudfrontOriginAccessControl(this, 'OriginAccess', {
      name: this.node.path.replace(/\//g, '-'),
      description: `CloudFront reads ${this.node.path} with SigV4`,
      originAccessControlOriginType: 's3',
      signingBehavior: 'always',
      signingProtocol: 'sigv4',
    });
    const originId = 'site-bucket';
    const distribution = new CloudfrontDistribution(this, 'Distribution', {
      enabled: true,
      comment: `DrawGuess web client (${this.node.path})`,
      defaultRootObject: 'index.html',
      httpVersion: 'http2and3',
      isIpv6Enabled: true,
      priceClass: props.priceClass ?? 'PriceClass_100',
      ...(props.domainName ? { aliases: [props.domainName] } : {}),
      origin: [
        { originId, domainName: this.bucket.bucket.bucketRegionalDomainName, originAccessControlId: oac.id },
      ],
      defaultCacheBehavior: {
        targetOriginId: originId,
        viewerProtocolPolicy: 'redirect-to-https',
        allowedMethods: ['GET', 'HEAD', 'OPTIONS'],
        cachedMethods: ['GET', 'HEAD'],
        cachePolicyId: CACHING_OPTIMIZED,
        compress: true,
      },
      customErrorResponse: [{ errorCode: 403, responseCode: 200, responsePagePath: '/index.html' }],
      restrictions: { geoRestriction: { restrictionType: 'none' } },
      viewerCertificate: props.certificateArn
        ? {
            acmCertificateArn: props.certificateArn,
            sslSupportMethod: 'sni-only',
            minimumProtocolVersion: 'TLSv1.2_2021',
          }
        : { cloudfrontDefaultCertificate: true },
    });
    if (!props.certificateArn) {
      acknowledge(
        distribution,
        'TF-CF-002',
        'No custom domain: the *.cloudfront.net default certificate sets its own TLS floor',
      );
    }
    this.distribution = distribution;
    // The bucket policy admits only this distribution (set after the distribution exists).
    this.bucket.addStatement({
      Sid: 'CloudFrontReadOnly',
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: `${this.bucket.arn}/*`,
      Condition: { StringEquals: { 'AWS:SourceArn': distribution.arn } },
    });
    this.url = props.domainName ? `https://${props.domainName}` : `https://${distribution.domainName}`;
  }
}
