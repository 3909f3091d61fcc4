import { nodeRoleKey, type NodeRole } from '@hybrid/catalog';
import type { Construct } from 'constructs';
import { Problems } from './errors';
import { INSTANCE_METADATA } from './network-policy';
import type { Postgres } from './postgres';
import { ScheduledJob } from './scheduled-job';

export interface PostgresBackupProps {
  readonly postgres: Postgres;
  readonly namespace: string;
  /** Bucket that receives `postgres/<database>/<timestamp>.dump` (see `accountSuffix`). */
  readonly bucket: string;
  /**
   * Write to `<bucket>-<AWS account id>`, the account read at run time from STS with the node's
   * instance role, so that one manifest serves every environment's account. @default false
   */
  readonly accountSuffix?: boolean;
  /** pg_dump image (same major as the server). */
  readonly postgresImage: string;
  /** AWS region of the bucket and STS (AWS_REGION of the upload). @default none: the CLI resolves it */
  readonly region?: string;
  /** AWS CLI image for the upload. @default 'amazon/aws-cli:2.27.50' */
  readonly awsCliImage?: string;
  /** @default '17 3 * * *' (daily, 03:17 UTC) */
  readonly schedule?: string;
  /** Node role to run on. @default none */
  readonly nodeRole?: NodeRole;
  readonly partOf: string;
}

/** Nightly pg_dump of every catalog database to S3 (credentials from the node's instance profile). */
export class PostgresBackup extends ScheduledJob {
  constructor(scope: Construct, id: string, props: PostgresBackupProps) {
    const problems = new Problems();
    const bucketName = props.accountSuffix ? `${props.bucket}-123456789012` : props.bucket;
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucketName))
      problems.add(
        `PostgresBackup: bucket "${props.bucket}" is not a valid S3 bucket name${props.accountSuffix ? ' once "-<account id>" is added (at most 50 characters)' : ''}`,
      );
    problems.throwIfAny('PostgresBackup');
    const host = props.postgres.name;
    const dbs = props.postgres.databases.map((d) => d.database);
    const dump = dbs
      .map(
        (db) => `pg_dump --format=custom --host=${host} --username=postgres --file=/scratch/${db}.dump ${db}`,
      )
      .join(' && ');
    const bucket = props.accountSuffix
      ? `bucket="${props.bucket}-$(aws sts get-caller-identity --query Account --output text)"`
      : `bucket="${props.bucket}"`;
    const upload = `${bucket}; stamp=$(date -u +%Y%m%dT%H%M%SZ) && for f in /scratch/*.dump; do db=$(basename "$f" .dump); aws s3 cp --only-show-errors "$f" "s3://$bucket/postgres/$db/$stamp.dump"; done`;
    const role = props.nodeRole;
    super(scope, id, `${host}-backup`, {
      namespace: props.namespace,
      partOf: props.partOf,
      schedule: props.schedule ?? '17 3 * * *',
      memoryLimit: '256Mi',
      runAsUser: 70,
      initContainers: [
        {
          name: 'dump',
          image: props.postgresImage,
          command: ['sh', '-c', `set -eu; ${dump}`],
          env: [
            { name: 'PGPASSWORD', valueFrom: { secretKeyRef: { name: `${host}-roles`, key: 'postgres' } } },
          ],
        },
      ],
      container: {
        name: 'upload',
        image: props.awsCliImage ?? 'amazon/aws-cli:2.27.50',
        command: ['sh', '-c', `set -eu; ${upload}`],
        env: [
          { name: 'HOME', value: '/tmp' },
          ...(props.region ? [{ name: 'AWS_REGION', value: props.region }] : []),
        ],
      },
      allowTo: [
        { peers: [{ podLabels: { 'app.kubernetes.io/name': host } }], ports: [5432] },
        { peers: [{ cidr: '0.0.0.0/0' }], ports: [443] },
        INSTANCE_METADATA,
      ],
      ...(role
        ? {
            nodeSelector: { [nodeRoleKey(role)]: 'true' },
            tolerations: [{ key: nodeRoleKey(role), operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
          }
        : {}),
    });
  }
}
