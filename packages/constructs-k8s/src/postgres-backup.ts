import { nodeRoleKey, type NodeRole } from '@hybrid/catalog';
import type { Construct } from 'constructs';
import { Problems } from './errors';
import { INSTANCE_METADATA } from './network-policy';
import type { Postgres } from './postgres';
import { ScheduledJob } from './scheduled-job';

export interface PostgresBackupProps {
  readonly postgres: Postgres;
  readonly namespace: string;
  /** Bucket that receives `postgres/<database>/<timestamp>.dump`. */
  readonly bucket: string;
  /** pg_dump image (same major as the server). */
  readonly postgresImage: string;
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
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(props.bucket))
      problems.add(`PostgresBackup: bucket "${props.bucket}" is not a valid S3 bucket name`);
    problems.throwIfAny('PostgresBackup');
    const host = props.postgres.name;
    const dbs = props.postgres.databases.map((d) => d.database);
    const dump = dbs
      .map(
        (db) => `pg_dump --format=custom --host=${host} --username=postgres --file=/scratch/${db}.dump ${db}`,
      )
      .join(' && ');
    const upload = `stamp=$(date -u +%Y%m%dT%H%M%SZ) && for f in /scratch/*.dump; do db=$(basename "$f" .dump); aws s3 cp --only-show-errors "$f" "s3://${props.bucket}/postgres/$db/$stamp.dump"; done`;
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
        env: [{ name: 'HOME', value: '/tmp' }],
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
