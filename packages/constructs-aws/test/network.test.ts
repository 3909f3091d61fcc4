import { DefaultSecurityGroup } from '@cdktn/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktn/provider-aws/lib/flow-log';
import { Subnet } from '@cdktn/provider-aws/lib/subnet';
import { Vpc } from '@cdktn/provider-aws/lib/vpc';
import { Testing } from 'cdktn';
import { Network } from '../src';
import { resourcesOf, synth } from './helpers';

Testing.setupJest();

describe('Network', () => {
  it('builds a VPC with public and private subnets per zone, flow logs and an empty default group', () => {
    const { text, json } = synth((s) => new Network(s, 'Net', { cidr: '10.10.0.0/16', zones: 3 }));
    expect(text).toHaveResourceWithProperties(Vpc, {
      cidr_block: '10.10.0.0/16',
      enable_dns_hostnames: true,
    });
    expect(text).toHaveResourceWithProperties(FlowLog, {
      traffic_type: 'ALL',
      log_destination_type: 'cloud-watch-logs',
    });
    const dsg = resourcesOf(json, 'aws_default_security_group');
    expect(dsg).toHaveLength(1);
    expect(dsg[0]).not.toHaveProperty('ingress');
    expect(dsg[0]).not.toHaveProperty('egress');
    expect(text).toHaveResource(DefaultSecurityGroup);
    const subnets = resourcesOf(json, 'aws_subnet');
    expect(subnets.map((s) => s.cidr_block).sort()).toEqual(
      [
        '10.10.0.0/20',
        '10.10.16.0/20',
        '10.10.32.0/20',
        '10.10.128.0/20',
        '10.10.144.0/20',
        '10.10.160.0/20',
      ].sort(),
    );
    expect(subnets.every((s) => s.map_public_ip_on_launch === false)).toBe(true);
    expect(text).toHaveResourceWithProperties(Subnet, { tags: expect.objectContaining({ tier: 'private' }) });
    expect(resourcesOf(json, 'aws_nat_gateway')).toHaveLength(1);
    expect(resourcesOf(json, 'aws_cloudwatch_log_group')[0]).toMatchObject({ retention_in_days: 365 });
  });

  it('gives each zone its own NAT gateway when asked', () => {
    const { json } = synth((s) => new Network(s, 'Net', { zones: 3, natPerZone: true }));
    expect(resourcesOf(json, 'aws_nat_gateway')).toHaveLength(3);
  });

  it('rejects a VPC range that overlaps a reserved network, naming both', () => {
    expect(() =>
      synth(
        (s) =>
          new Network(s, 'Net', {
            cidr: '192.168.0.0/16',
            reservedCidrs: { 'Pi cluster LAN': '192.168.50.0/24' },
          }),
      ),
    ).toThrow('cidr "192.168.0.0/16" overlaps Pi cluster LAN "192.168.50.0/24"');
  });

  it('rejects a malformed CIDR, a bad zone count and a bad retention all at once', () => {
    let message = '';
    try {
      synth((s) => new Network(s, 'Net', { cidr: '10.0.0.5/16', zones: 1, flowLogRetentionDays: 10 }));
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/3 problems/);
    expect(message).toMatch(/host bits set/);
    expect(message).toMatch(/zones must be a whole number from 2 to 4 \(got 1\)/);
    expect(message).toMatch(/flowLogRetentionDays 10/);
  });
});
