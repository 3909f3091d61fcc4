import { execFileSync } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalog, nodeRoleKey } from '@hybrid/catalog';
import { declareTopology } from '@hybrid/service-kit';
import { testUrls, uniqueName } from '@hybrid/tools/test-env';
import { connect } from 'amqplib';
import { Client } from 'pg';
import {
  ConstructValidationError,
  databasesOf,
  initScript,
  passwordVar,
  Postgres,
  PostgresBackup,
  RabbitMq,
  rabbitDefinitions,
  Redis,
  retryQueueName,
} from '../src';
import { find, kinds, synth } from './helpers';

const pgW = catalog.get('postgres');

describe('Postgres', () => {
  const grants = databasesOf(catalog, 'postgres');

  it('derives one database per owner from the catalog, with the users that share it', () => {
    expect(grants).toEqual([
      { database: 'auth', owner: 'auth', users: [] },
      { database: 'character', owner: 'character', users: [] },
      { database: 'info', owner: 'info', users: ['chat'] },
      { database: 'location', owner: 'location', users: [] },
      { database: 'my', owner: 'my', users: [] },
      { database: 'scan', owner: 'scan', users: ['worker_ai', 'worker_storage'] },
    ]);
  });

  it('is a StatefulSet with a volume claim, the init script and passwords by reference', () => {
    const objs = synth(
      (c) =>
        new Postgres(c, 'Pg', {
          workload: pgW,
          namespace: 'data',
          databases: grants,
          storage: '20Gi',
          storageClass: 'gp3',
        }),
    );
    expect(kinds(objs)).toEqual(['ConfigMap', 'NetworkPolicy', 'Service', 'ServiceAccount', 'StatefulSet']);
    const sts = find(objs, 'StatefulSet');
    expect(sts.spec.volumeClaimTemplates[0].spec).toEqual({
      accessModes: ['ReadWriteOnce'],
      storageClassName: 'gp3',
      resources: { requests: { storage: '20Gi' } },
    });
    const pod = sts.spec.template.spec;
    expect(pod.nodeSelector).toEqual({ [nodeRoleKey('storage')]: 'true' });
    expect(pod.securityContext.runAsUser).toBe(70);
    const env = pod.containers[0].env as {
      name: string;
      value?: string;
      valueFrom?: { secretKeyRef: { name: string; key: string } };
    }[];
    expect(env.find((e) => e.name === passwordVar('worker_ai'))?.valueFrom?.secretKeyRef).toEqual({
      name: 'postgres-roles',
      key: 'worker_ai',
    });
    expect(env.filter((e) => /PASSWORD/.test(e.name)).every((e) => e.value === undefined)).toBe(true);
    expect(find(objs, 'ConfigMap').data['10-databases.sh']).toBe(initScript(grants));
    expect(find(objs, 'Service').spec.clusterIP).toBe('None');
  });

  it('rejects bad identifiers and an empty database list', () => {
    expect(() =>
      synth((c) => new Postgres(c, 'Pg', { workload: pgW, namespace: 'data', databases: [] })),
    ).toThrow(/no databases/);
    expect(() =>
      synth(
        (c) =>
          new Postgres(c, 'Pg', {
            workload: pgW,
            namespace: 'data',
            databases: [{ database: 'Bad-Name', owner: 'x', users: [] }],
          }),
      ),
    ).toThrow(/"Bad-Name" is not a lowercase SQL identifier/);
    expect(() =>
      synth(
        (c) =>
          new Postgres(c, 'Pg', { workload: catalog.get('redis'), namespace: 'data', databases: grants }),
      ),
    ).toThrow(ConstructValidationError);
    expect(() =>
      synth(
        (c) =>
          new Postgres(c, 'Pg', { workload: pgW, namespace: 'data', databases: grants, storage: 'lots' }),
      ),
    ).toThrow(/storage "lots"/);
  });

  it('the init script creates the databases and roles on a real server, idempotently', () => {
    const prefix = uniqueName('init');
    // Two databases keep it quick: one owner with one user, one owner with two.
    const mine = grants
      .filter((g) => g.database === 'info' || g.database === 'scan')
      .map((g) => ({
        database: `${prefix}_${g.database}`,
        owner: `${prefix}_${g.owner}`,
        users: g.users.map((u) => `${prefix}_${u}`),
      }));
    const roles = [...new Set(mine.flatMap((g) => [g.owner, ...g.users]))];
    const dir = mkdtempSync(join(tmpdir(), 'pginit-'));
    const file = join(dir, 'init.sh');
    writeFileSync(file, initScript(mine));
    const url = new URL(testUrls.postgres);
    const env = {
      ...process.env,
      POSTGRES_USER: decodeURIComponent(url.username || 'postgres'),
      PGHOST: url.hostname,
      PGPORT: url.port || '5432',
      ...(url.password ? { PGPASSWORD: decodeURIComponent(url.password) } : {}),
      ...Object.fromEntries(roles.map((r) => [passwordVar(r), `pw-${r}`])),
    };
    const cleanup = async (admin: Client) => {
      for (const g of mine) await admin.query(`DROP DATABASE IF EXISTS "${g.database}" WITH (FORCE)`);
      for (const r of roles) await admin.query(`DROP ROLE IF EXISTS "${r}"`);
    };
    return (async () => {
      const admin = new Client({ connectionString: testUrls.postgres });
      await admin.connect();
      try {
        execFileSync('sh', [file], { env, stdio: 'pipe' });
        execFileSync('sh', [file], { env, stdio: 'pipe' }); // second run changes nothing and does not fail
        const dbs = await admin.query<{ datname: string; owner: string }>(
          `SELECT datname, pg_get_userbyid(datdba) AS owner FROM pg_database WHERE datname LIKE $1 ORDER BY datname`,
          [`${prefix}%`],
        );
        expect(dbs.rows).toEqual(
          mine
            .map((g) => ({ datname: g.database, owner: g.owner }))
            .sort((a, b) => a.datname.localeCompare(b.datname)),
        );
        const member = await admin.query(`SELECT pg_has_role($1, $2, 'MEMBER') AS ok`, [
          `${prefix}_worker_ai`,
          `${prefix}_scan`,
        ]);
        expect(member.rows[0].ok).toBe(true);
        const notMember = await admin.query(`SELECT pg_has_role($1, $2, 'MEMBER') AS ok`, [
          `${prefix}_chat`,
          `${prefix}_scan`,
        ]);
        expect(notMember.rows[0].ok).toBe(false);
      } finally {
        await cleanup(admin);
        await admin.end();
        rmSync(dir, { recursive: true, force: true });
      }
    })();
  }, 90_000);
});

describe('Redis', () => {
  it('keeps maxmemory below the limit and takes its password by reference', () => {
    const w = catalog.get('redis');
    const objs = synth((c) => new Redis(c, 'R', { workload: w, namespace: 'data' }));
    const ctr = find(objs, 'StatefulSet').spec.template.spec.containers[0];
    expect(ctr.args).toEqual([
      '--appendonly',
      'yes',
      '--maxmemory',
      '192mb',
      '--maxmemory-policy',
      'noeviction',
      '--requirepass',
      '$(REDIS_PASSWORD)',
    ]);
    expect(ctr.env).toEqual([
      { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: 'redis-auth', key: 'password' } } },
    ]);
    expect(() =>
      synth((c) => new Redis(c, 'R', { workload: catalog.get('rds'), namespace: 'data' })),
    ).toThrow(/external/);
  });
});

describe('RabbitMq', () => {
  const defs = rabbitDefinitions(catalog);

  it('defines every queue, a retry queue per delay, bindings and dead-lettering', () => {
    const names = defs.queues.map((q) => q.name);
    for (const q of catalog.queues) {
      expect(names).toContain(q.name);
      for (const d of q.retryDelaysMs) expect(names).toContain(retryQueueName(q.name, d));
    }
    expect(defs.queues.find((q) => q.name === 'q.ai')!.arguments).toEqual({
      'x-dead-letter-exchange': 'x.dlx',
      'x-dead-letter-routing-key': 'dead',
    });
    expect(defs.queues.find((q) => q.name === 'q.ai.retry.5000')!.arguments).toEqual({
      'x-message-ttl': 5000,
      'x-dead-letter-exchange': 'x.scan',
      'x-dead-letter-routing-key': 'ai',
    });
    expect(defs.bindings).toContainEqual({
      source: 'x.dlx',
      vhost: '/',
      destination: 'q.dlq',
      destination_type: 'queue',
      routing_key: 'dead',
      arguments: {},
    });
  });

  it('binds each account queue with its own key (retries) and to the account.deleted event', () => {
    expect(defs.exchanges.find((e) => e.name === 'x.account')).toMatchObject({
      type: 'topic',
      durable: true,
    });
    for (const service of ['my', 'scan', 'character', 'chat']) {
      const keys = defs.bindings
        .filter((b) => b.destination === `q.account.${service}`)
        .map((b) => [b.source, b.routing_key]);
      expect(keys).toEqual([
        ['x.account', `to.${service}`],
        ['x.account', 'account.deleted'],
      ]);
      expect(defs.queues.find((q) => q.name === `q.account.${service}.retry.300000`)!.arguments).toEqual({
        'x-message-ttl': 300000,
        'x-dead-letter-exchange': 'x.account',
        'x-dead-letter-routing-key': `to.${service}`,
      });
    }
  });

  it('ships the definitions in its ConfigMap', () => {
    const objs = synth(
      (c) =>
        new RabbitMq(c, 'Mq', { workload: catalog.get('rabbitmq'), namespace: 'data', topology: catalog }),
    );
    expect(JSON.parse(find(objs, 'ConfigMap').data['definitions.json'])).toEqual(defs);
    // Imported through the management API after each sync (boot-time import would skip the admin user).
    expect(find(objs, 'ConfigMap').data['rabbitmq.conf']).not.toContain('definitions');
    const job = find(objs, 'Job', 'rabbitmq-definitions');
    expect(job.metadata.annotations).toEqual({
      'argocd.argoproj.io/hook': 'PostSync',
      'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
    });
    const ctr = job.spec.template.spec.containers[0];
    expect(ctr.command[2]).toContain(
      '--data @/definitions/definitions.json http://rabbitmq:15672/api/definitions',
    );
    expect(ctr.env.every((e: { value?: string }) => e.value === undefined)).toBe(true);
    expect(find(objs, 'ServiceMonitor', 'rabbitmq').spec.endpoints).toEqual([
      { port: 'metrics', path: '/metrics', interval: '30s' },
    ]);
    const broker = find(objs, 'NetworkPolicy', 'rabbitmq');
    expect(broker.spec.ingress).toContainEqual({
      from: [{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'rabbitmq-definitions' } } }],
      ports: [{ protocol: 'TCP', port: 15672 }],
    });
    expect(() =>
      synth(
        (c) =>
          new RabbitMq(c, 'Mq', {
            workload: catalog.get('rabbitmq'),
            namespace: 'data',
            topology: { queues: [], exchanges: [] },
          }),
      ),
    ).toThrow(/declares no queues/);
  });

  it('matches what the service kit declares at runtime (same names, same arguments) on a real broker', async () => {
    const prefix = `${uniqueName('defs')}.`;
    const conn = await connect(testUrls.amqp);
    const ch = await conn.createConfirmChannel();
    try {
      await declareTopology(ch, catalog, prefix);
      // Re-declaring with the manifest's arguments fails with PRECONDITION_FAILED on any difference.
      const n = (s: string) => `${prefix}${s}`;
      for (const q of defs.queues) {
        const a = q.arguments as Record<string, string | number>;
        await ch.assertQueue(n(q.name), {
          durable: q.durable,
          ...(a['x-message-ttl'] !== undefined ? { messageTtl: a['x-message-ttl'] as number } : {}),
          ...(a['x-dead-letter-exchange']
            ? { deadLetterExchange: n(String(a['x-dead-letter-exchange'])) }
            : {}),
          ...(a['x-dead-letter-routing-key']
            ? { deadLetterRoutingKey: String(a['x-dead-letter-routing-key']) }
            : {}),
        });
      }
      for (const e of defs.exchanges) await ch.assertExchange(n(e.name), e.type, { durable: e.durable });
      // The kit binds what the definitions bind: one account event lands in each account queue.
      ch.publish(n('x.account'), 'account.deleted', Buffer.from('{}'));
      await ch.waitForConfirms();
      for (const b of defs.bindings.filter(
        (x) => x.source === 'x.account' && x.routing_key === 'account.deleted',
      ))
        expect([b.destination, (await ch.checkQueue(n(b.destination))).messageCount]).toEqual([
          b.destination,
          1,
        ]);
    } finally {
      const clean = await conn.createChannel();
      for (const q of defs.queues) await clean.deleteQueue(`${prefix}${q.name}`);
      for (const e of defs.exchanges) await clean.deleteExchange(`${prefix}${e.name}`);
      await conn.close();
    }
  });
});

describe('PostgresBackup', () => {
  /** The catalog's PostgreSQL and a backup of it with `props` (the bucket and the rest). */
  const backup = (props: Omit<ConstructorParameters<typeof PostgresBackup>[2], 'postgres' | 'namespace'>) =>
    synth((c) => {
      const pg = new Postgres(c, 'Pg', {
        workload: pgW,
        namespace: 'data',
        databases: databasesOf(catalog, 'postgres'),
      });
      new PostgresBackup(c, 'B', { postgres: pg, namespace: 'data', ...props });
    });
  it('dumps every catalog database and uploads to the bucket', () => {
    const objs = backup({
      bucket: 'my-backups',
      postgresImage: 'postgres:16.10-alpine',
      partOf: 'waste-coach',
      nodeRole: 'storage',
    });
    const cron = find(objs, 'CronJob', 'postgres-backup');
    expect(cron.spec).toMatchObject({ schedule: '17 3 * * *', concurrencyPolicy: 'Forbid' });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    for (const db of ['auth', 'character', 'info', 'location', 'my', 'scan'])
      expect(pod.initContainers[0].command[2]).toContain(`--file=/scratch/${db}.dump ${db}`);
    expect(pod.containers[0].command[2]).toContain('bucket="my-backups";');
    expect(pod.containers[0].command[2]).toContain('"s3://$bucket/postgres/$db/$stamp.dump"');
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    // The upload uses the node's instance role: the CLI needs instance metadata, then S3 over HTTPS.
    const policy = find(objs, 'NetworkPolicy', 'postgres-backup');
    expect(policy.spec.egress).toEqual(
      expect.arrayContaining([
        { to: [{ ipBlock: { cidr: '169.254.169.254/32' } }], ports: [{ protocol: 'TCP', port: 80 }] },
        { to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'TCP', port: 443 }] },
      ]),
    );
  });
  it('writes to <bucket>-<account id> when the bucket is per account, the account from STS', () => {
    const objs = backup({
      bucket: 'my-backups',
      accountSuffix: true,
      region: 'ap-northeast-2',
      postgresImage: 'postgres:16.10-alpine',
      partOf: 'waste-coach',
    });
    const upload = find(objs, 'CronJob', 'postgres-backup').spec.jobTemplate.spec.template.spec.containers[0];
    expect(upload.command[2]).toContain(
      'bucket="my-backups-$(aws sts get-caller-identity --query Account --output text)"',
    );
    expect(upload.command[2]).toContain('"s3://$bucket/postgres/$db/$stamp.dump"');
    expect(upload.env).toContainEqual({ name: 'AWS_REGION', value: 'ap-northeast-2' });
  });
  it('rejects a bad bucket name', () => {
    expect(() => backup({ bucket: 'Bad_Bucket', postgresImage: 'postgres:16', partOf: 'x' })).toThrow(
      /"Bad_Bucket" is not a valid S3 bucket name/,
    );
  });
});
