import { catalog } from '@hybrid/catalog';
import { DbInstance } from '@cdktn/provider-aws/lib/db-instance';
import { DbParameterGroup } from '@cdktn/provider-aws/lib/db-parameter-group';
import { DbSubnetGroup } from '@cdktn/provider-aws/lib/db-subnet-group';
import { Construct } from 'constructs';
import { parseCidr } from './cidr';
import type { NetworkSubnet } from './network';
import { SecurityGroup, tcp } from './security-group';
import { throwIfProblems } from './validation';

/** PostgreSQL's port, from the catalog's postgres entry. */
export const POSTGRES_PORT = catalog.get('postgres').port ?? 5432;

export interface PostgresDatabaseProps {
  readonly vpcId: string;
  /** Private subnets in at least two zones. */
  readonly subnets: readonly NetworkSubnet[];
  /** Database name created at launch. */
  readonly databaseName: string;
  /** Security groups admitted on the PostgreSQL port. @default [] */
  readonly allowFromSecurityGroups?: readonly SecurityGroup[];
  /** CIDRs admitted on the PostgreSQL port (e.g. the tailnet). Never 0.0.0.0/0. @default [] */
  readonly allowFromCidrs?: readonly string[];
  /** Performance Insights needs a class above micro/small on some engines. @default 'db.t4g.medium' */
  readonly instanceClass?: string;
  /** @default 20 */
  readonly allocatedStorageGiB?: number;
  /** @default true */
  readonly multiAz?: boolean;
  /** @default 7 */
  readonly backupRetentionDays?: number;
  /** @default true */
  readonly deletionProtection?: boolean;
  /** @default '16' */
  readonly engineVersion?: string;
}

/**
 * RDS PostgreSQL: private subnets, Multi-AZ, encrypted, deletion-protected, 7-day backups,
 * Performance Insights, TLS forced by its parameter group, master password in Secrets Manager.
 */
export class PostgresDatabase extends Construct {
  readonly instance: DbInstance;
  readonly securityGroup: SecurityGroup;
  readonly parameterGroup: DbParameterGroup;
  readonly port = POSTGRES_PORT;
  readonly multiAz: boolean;

  constructor(scope: Construct, id: string, props: PostgresDatabaseProps) {
    super(scope, id);
    this.multiAz = props.multiAz ?? true;
    const engineVersion = props.engineVersion ?? '16';
    const backups = props.backupRetentionDays ?? 7;
    const problems: string[] = [];
    const publicOnes = props.subnets.filter((s) => s.public);
    if (publicOnes.length) {
      problems.push(
        `subnets ${publicOnes.map((s) => s.cidr).join(', ')} are public: place the database in private subnets (network.privateSubnets)`,
      );
    }
    if (props.subnets.length < 2)
      problems.push(`subnets: ${props.subnets.length} given; RDS needs subnets in at least 2 zones`);
    for (const c of props.allowFromCidrs ?? []) {
      const p = parseCidr(c);
      if (typeof p === 'string') problems.push(`allowFromCidrs: ${p}`);
      else if (p.prefix === 0)
        problems.push(
          `allowFromCidrs "${c}" admits the whole internet to PostgreSQL; name the tailnet or a security group`,
        );
    }
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(props.databaseName))
      problems.push(`databaseName "${props.databaseName}" must be lower-case letters, digits and _`);
    if (!Number.isInteger(backups) || backups < 7 || backups > 35)
      problems.push(`backupRetentionDays ${backups} must be 7 to 35`);
    if (!/^\d+(\.\d+)?$/.test(engineVersion))
      problems.push(`engineVersion "${engineVersion}" is not a PostgreSQL version like "16" or "16.4"`);
    throwIfProblems(`PostgresDatabase ${this.node.path}`, problems);

    this.securityGroup = new SecurityGroup(this, 'SecurityGroup', {
      vpcId: props.vpcId,
      description: `PostgreSQL ${this.node.path}: port ${this.port} from named peers only`,
    });
    (props.allowFromSecurityGroups ?? []).forEach((sg, i) =>
      this.securityGroup.allowIngress(
        { securityGroup: sg },
        tcp(this.port),
        `PostgreSQL from ${sg.node.path}`,
        `FromGroup${i}`,
      ),
    );
    (props.allowFromCidrs ?? []).forEach((cidr, i) =>
      this.securityGroup.allowIngress(
        { cidr },
        tcp(this.port),
        `PostgreSQL from ${cidr} (tailnet)`,
        `FromCidr${i}`,
      ),
    );

    const subnetGroup = new DbSubnetGroup(this, 'Subnets', {
      namePrefix: `${this.node.path.replace(/\//g, '-').toLowerCase()}-`,
      description: `Private subnets of ${this.node.path}`,
      subnetIds: props.subnets.map((s) => s.id),
    });
    const major = engineVersion.split('.')[0] ?? '16';
    this.parameterGroup = new DbParameterGroup(this, 'Parameters', {
      namePrefix: `${this.node.path.replace(/\//g, '-').toLowerCase()}-`,
      family: `postgres${major}`,
      description: `PostgreSQL ${major} for ${this.node.path}: TLS required, connections logged`,
      parameter: [
        { name: 'rds.force_ssl', value: '1' },
        { name: 'log_connections', value: '1' },
        { name: 'log_disconnections', value: '1' },
        { name: 'log_min_duration_statement', value: '1000' },
      ],
      lifecycle: { createBeforeDestroy: true },
    });
    this.instance = new DbInstance(this, 'Resource', {
      identifierPrefix: `${this.node.path.replace(/\//g, '-').toLowerCase()}-`,
      engine: 'postgres',
      engineVersion,
      instanceClass: props.instanceClass ?? 'db.t4g.medium',
      allocatedStorage: props.allocatedStorageGiB ?? 20,
      storageType: 'gp3',
      storageEncrypted: true,
      dbName: props.databaseName,
      username: 'hybrid_admin',
      manageMasterUserPassword: true,
      port: this.port,
      multiAz: this.multiAz,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [this.securityGroup.id],
      parameterGroupName: this.parameterGroup.name,
      publiclyAccessible: false,
      deletionProtection: props.deletionProtection ?? true,
      backupRetentionPeriod: backups,
      copyTagsToSnapshot: true,
      skipFinalSnapshot: false,
      finalSnapshotIdentifier: `${this.node.path.replace(/\//g, '-').toLowerCase()}-final`,
      autoMinorVersionUpgrade: true,
      iamDatabaseAuthenticationEnabled: true,
      performanceInsightsEnabled: true,
      performanceInsightsRetentionPeriod: 7,
      enabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
      tags: { Name: this.node.path },
    });
  }
}
