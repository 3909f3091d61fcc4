import { AcmCertificate } from '@cdktn/provider-aws/lib/acm-certificate';
import { Testing } from 'cdktn';
import { DnsCertificate, renderCloudConfig, SecureBucket } from '../src';
import { resourcesOf, synth } from './helpers';

Testing.setupJest();

describe('DnsCertificate', () => {
  it('validates the apex and wildcard through one Route53 record in the zone', () => {
    const { text, json } = synth((s) => new DnsCertificate(s, 'Cert', { zoneName: 'wastecoach.example' }));
    expect(text).toHaveResourceWithProperties(AcmCertificate, {
      domain_name: 'wastecoach.example',
      subject_alternative_names: ['*.wastecoach.example'],
      validation_method: 'DNS',
    });
    expect(resourcesOf(json, 'aws_route53_record')).toHaveLength(1);
    expect(resourcesOf(json, 'aws_acm_certificate_validation')).toHaveLength(1);
  });

  it('rejects a name outside the zone', () => {
    expect(() =>
      synth(
        (s) =>
          new DnsCertificate(s, 'Cert', { zoneName: 'wastecoach.example', names: ['api.other.example'] }),
      ),
    ).toThrow('name "api.other.example" is not inside the zone "wastecoach.example"');
  });
});

describe('guards', () => {
  it('refuses a bucket whose policy would be empty', () => {
    expect(() => synth((s) => new SecureBucket(s, 'B', { enforceTls: false }))).toThrow(
      /leaves the bucket policy empty/,
    );
  });

  it('refuses user data over the EC2 limit', () => {
    expect(() => renderCloudConfig({ write_files: [{ path: '/big', content: 'x'.repeat(17000) }] })).toThrow(
      /EC2 accepts at most 16384/,
    );
  });
});
