import { AcmCertificate } from '@cdktn/provider-aws/lib/acm-certificate';
import { AcmCertificateValidation } from '@cdktn/provider-aws/lib/acm-certificate-validation';
import { DataAwsRoute53Zone } from '@cdktn/provider-aws/lib/data-aws-route53-zone';
import { Route53Record } from '@cdktn/provider-aws/lib/route53-record';
import { Construct } from 'constructs';
import { throwIfProblems } from './validation';

export interface DnsCertificateProps {
  /** The hosted zone, e.g. `wastecoach.example`. */
  readonly zoneName: string;
  /** Names on the certificate, inside the zone. @default [zoneName, `*.${zoneName}`] */
  readonly names?: readonly string[];
}

/** An ACM certificate validated through Route53 records in an existing hosted zone. */
export class DnsCertificate extends Construct {
  readonly certificate: AcmCertificate;
  /** The validated certificate's ARN (waits for validation). */
  readonly arn: string;
  readonly zone: DataAwsRoute53Zone;

  constructor(scope: Construct, id: string, props: DnsCertificateProps) {
    super(scope, id);
    const names = props.names ?? [props.zoneName, `*.${props.zoneName}`];
    const problems: string[] = [];
    for (const n of names) {
      if (n !== props.zoneName && !n.endsWith(`.${props.zoneName}`))
        problems.push(`name "${n}" is not inside the zone "${props.zoneName}"`);
    }
    if (!names.length) problems.push('names is empty');
    throwIfProblems(`DnsCertificate ${this.node.path}`, problems);
    const [primary, ...rest] = names as [string, ...string[]];
    this.zone = new DataAwsRoute53Zone(this, 'Zone', { name: props.zoneName, privateZone: false });
    this.certificate = new AcmCertificate(this, 'Resource', {
      domainName: primary,
      subjectAlternativeNames: rest,
      validationMethod: 'DNS',
      keyAlgorithm: 'EC_prime256v1',
      lifecycle: { createBeforeDestroy: true },
    });
    // The apex and its wildcard share one validation record; other names get their own.
    const distinct = [...new Set(names.map((n) => n.replace(/^\*\./, '')))];
    const records = distinct.map((_, i) => {
      const opt = this.certificate.domainValidationOptions.get(i);
      return new Route53Record(this, `Validation${i}`, {
        zoneId: this.zone.zoneId,
        name: opt.resourceRecordName,
        type: opt.resourceRecordType,
        records: [opt.resourceRecordValue],
        ttl: 60,
        allowOverwrite: true,
      });
    });
    const validation = new AcmCertificateValidation(this, 'Validation', {
      certificateArn: this.certificate.arn,
      validationRecordFqdns: records.map((r) => r.fqdn),
    });
    this.arn = validation.certificateArn;
  }
}
