import { DbInstance } from '@cdktn/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktn/provider-aws/lib/db-parameter-group';
import { Testing } from 'cdktn';
import { catalog } from '@hybrid/catalog';
import {
  PostgresDatabase,
  SecurityGroup,
  TAILNET_CIDR,
  type NetworkSubnet,
  type PostgresDatabaseProps,
} from '../src';
import { resourcesOf, synth } from './helpers';

Testing.setupJest();

const priv: NetworkSubnet[] = [
  { id: 'subnet-a', cidr: '10.10.128.0/20', availabilityZone: 'a', public: false },
  { id: 'subnet-b', cidr: '10.10.144.0/20', availabilityZone: 'b', public: false },
];

function build(props: Partial<PostgresDatabaseProps> = {}) {
  return synth((s) => {
    const proxy = new SecurityGroup(s, 'ProxyGroup', { vpcId: 'vpc-1', description: 'the proxy host group' });
    new PostgresDatabase(s, 'Db', {
      vpcId: 'vpc-1',
      subnets: priv,
      databaseName: 'drawguess',
      allowFromSecurityGroups: [proxy],
      allowFromCidrs: [TAILNET_CIDR],
      ...props,
    });
  });
}

describe('PostgresDatabase', () => {
  it('is PostgreSQL 16, Multi-AZ, encrypted, private, protected, backed up, with a managed password', () => {
    const { text, json } = build();
    expect(text).toHaveResourceWithProperties(DbInstance, {
      engine: 'postgres',
      engine_version: '16',
      multi_az: true,
      storage_encrypted: true,
      publicly_accessible: false,
      deletion_protection: true,
      backup_retention_period: 7,
      performance_insights_enabled: true,
      manage_master_user_password: true,
      port: catalog.get('postgres').port,
    });
    expect(resourcesOf(json, 'aws_db_instance')[0]).not.toHaveProperty('password');
    expect(text).toHaveResourceWithProperties(DbParameterGroup, {
      family: 'postgres16',
      parameter: expect.arrayContaining([{ name: 'rds.force_ssl', value: '1' }]),
    });
  });

  it('admits 5432 only from the proxy group and the tailnet', () => {
    const { json } = build();
    const ingress = resourcesOf(json, 'aws_vpc_security_group_ingress_rule');
    expect(ingress).toHaveLength(2);
    expect(ingress.every((r) => r.from_port === 5432 && r.to_port === 5432)).toBe(true);
    expect(ingress.map((r) => r.cidr_ipv4 ?? 'group').sort()).toEqual([TAILNET_CIDR, 'group'].sort());
    expect(ingress.find((r) => !r.cidr_ipv4)?.referenced_security_group_id).toMatch(
      /aws_security_group\.ProxyGroup/,
    );
  });

  it('rejects a database placed in public subnets', () => {
    expect(() => build({ subnets: priv.map((s) => ({ ...s, public: true })) })).toThrow(
      'subnets 10.10.128.0/20, 10.10.144.0/20 are public: place the database in private subnets (network.privateSubnets)',
    );
  });

  it('rejects a world-open CIDR, one subnet and short backups together', () => {
    expect(() =>
      build({ subnets: priv.slice(0, 1), allowFromCidrs: ['0.0.0.0/0'], backupRetentionDays: 1 }),
    ).toThrow(
      /3 problems[\s\S]*at least 2 zones[\s\S]*admits the whole internet[\s\S]*backupRetentionDays 1 must be 7 to 35/,
    );
  });
});
