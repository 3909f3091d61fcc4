// Account deletion in the scan service: the q.account.scan consumer against real PostgreSQL,
// RabbitMQ and S3 (the local S3 server, reached through a TCP proxy the tests cut).
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { imageKeys, publishAccountEvent, publishTo, type AccountDeleted } from '@hybrid/queue';
import { AmqpClient, buildService, createLogger, type BuiltService } from '@hybrid/service-kit';
import { eventually, startTcpProxy, testUrls, viaProxy, type TcpProxy } from '@hybrid/tools/test-env';
import { createStorageWorker } from '@hybrid/worker-storage';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { createScanService } from '../src/app';
import {
  BUCKET,
  capturingLogger,
  fastTopology,
  objectExists,
  putObject,
  startHarness,
  uploadedScan,
  type Harness,
} from './harness';

const topology = fastTopology;

describe('account deletion in the scan service', () => {
  let h: Harness;
  let s3proxy: TcpProxy;
  let scan: BuiltService;
  let client: AmqpClient;
  let conn: ChannelModel;
  let ch: Channel;
  /** The scan service's logger, keeping its messages (warnings and up). */
  const { logger, logged } = capturingLogger('scan');

  beforeAll(async () => {
    h = await startHarness('acct_scan');
    s3proxy = await startTcpProxy(h.s3Endpoint);
    scan = await buildService(createScanService({ topology }), {
      env: h.env({ DATABASE_URL: h.scanDb.url, S3_ENDPOINT: viaProxy(h.s3Endpoint, s3proxy) }),
      logger,
    });
    client = new AmqpClient(testUrls.amqp, createLogger('test', 'silent'));
    await client.connect();
    conn = await amqp.connect(testUrls.amqp);
    ch = await conn.createChannel();
  });
  afterAll(async () => {
    await scan?.close();
    await client?.close();
    await conn?.close();
    await s3proxy?.close();
    await h?.close();
  });

  const deletion = (userId: string): AccountDeleted => ({
    type: 'account.deleted',
    eventId: randomUUID(),
    userId,
    deletedAt: new Date().toISOString(),
  });
  const publish = (e: AccountDeleted) => publishAccountEvent(client, topology, h.prefix, e);

  /** A user with `n` finished scans: rows, status events, and an upload, image and thumbnail each in S3. */
  async function seed(userId: string, n: number) {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) {
      const id = randomUUID();
      const keys = imageKeys(userId, id);
      await h.scanPool.query(
        `INSERT INTO scans (id, user_id, content_type, declared_size, upload_key) VALUES ($1, $2, 'image/jpeg', 3, $3)`,
        [id, userId, keys.upload],
      );
      await h.scanPool.query(`UPDATE scans SET status = 'queued' WHERE id = $1`, [id]);
      await h.scanPool.query(
        `UPDATE scans SET status = 'done', image_key = $2, thumb_key = $3 WHERE id = $1`,
        [id, keys.image, keys.thumb],
      );
      for (const key of [keys.upload, keys.image, keys.thumb])
        await putObject(h.s3, key, Buffer.from('img'), 'image/jpeg');
      ids.push(id);
    }
    return ids;
  }
  async function rowsOf(userId: string) {
    const { rows } = await h.scanPool.query<{ scans: number; events: number }>(
      `SELECT (SELECT count(*) FROM scans WHERE user_id = $1)::int AS scans,
              (SELECT count(*) FROM scan_events e JOIN scans s ON s.id = e.scan_id WHERE s.user_id = $1)::int AS events`,
      [userId],
    );
    return rows[0]!;
  }
  async function eventsOf(ids: string[]) {
    const { rows } = await h.scanPool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM scan_events WHERE scan_id = ANY($1::uuid[])',
      [ids],
    );
    return rows[0]!.n;
  }
  async function objectsUnder(prefix: string) {
    const r = await h.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }));
    return (r.Contents ?? []).map((o) => o.Key!).sort();
  }
  const count = async (queue: string) => (await ch.checkQueue(`${h.prefix}${queue}`)).messageCount;
  /** The account queue and its retry queues are empty (every message was acked). */
  async function settled() {
    await eventually(
      async () => {
        for (const q of ['q.account.scan', ...[100, 200, 300].map((d) => `q.account.scan.retry.${d}`)])
          if ((await count(q)) > 0) return false;
        return true;
      },
      10000,
      'q.account.scan to be drained',
    );
    // A message taken but not yet acked is not counted: give a handler in flight time to finish.
    await new Promise((r) => setTimeout(r, 300));
  }

  it("deletes the user's scans, their events and every object under their prefix, and nobody else's", async () => {
    const alice = randomUUID();
    const bob = randomUUID();
    const aliceScans = await seed(alice, 2);
    await seed(bob, 1);
    // A key that starts like Alice's prefix but is not under it (the prefix ends with a slash).
    const lookalike = `scans/${alice}0/not-alice`;
    await putObject(h.s3, lookalike, Buffer.from('x'), 'image/jpeg');
    expect(await rowsOf(alice)).toEqual({ scans: 2, events: 6 });
    expect(await objectsUnder(`scans/${alice}/`)).toHaveLength(6);

    await publish(deletion(alice));
    await eventually(
      async () => (await objectsUnder(`scans/${alice}/`)).length === 0 && (await rowsOf(alice)).scans === 0,
      10000,
      "Alice's scans and images to be deleted",
    );
    expect(await eventsOf(aliceScans)).toBe(0);
    expect(await rowsOf(bob)).toEqual({ scans: 1, events: 3 });
    expect(await objectsUnder(`scans/${bob}/`)).toHaveLength(3);
    expect(await objectExists(h.s3, lookalike)).toBe(true);
    await settled();
    expect(await count('q.dlq')).toBe(0);
  });

  it('takes a redelivered or repeated deletion without failing and without touching anyone else', async () => {
    const carol = randomUUID();
    const dave = randomUUID();
    await seed(carol, 1);
    await seed(dave, 1);
    const e = deletion(carol);
    await publish(e);
    await eventually(async () => (await rowsOf(carol)).scans === 0, 10000, "Carol's scans to be deleted");
    // The same event again (a redelivery after a lost ack, or the outbox publishing twice), twice.
    await Promise.all([publish(e), publish(e)]);
    await settled();
    expect(await count('q.dlq')).toBe(0);
    expect(logged.filter((l) => l.includes('job failed'))).toEqual([]);
    expect(await objectsUnder(`scans/${carol}/`)).toEqual([]);
    expect(await rowsOf(dave)).toEqual({ scans: 1, events: 3 });
    expect(await objectsUnder(`scans/${dave}/`)).toHaveLength(3);
  });

  it('retries while S3 is down and deletes the images once it is back', async () => {
    const erin = randomUUID();
    await seed(erin, 2);
    logged.length = 0;
    s3proxy.cut();
    try {
      await publish(deletion(erin));
      // The rows go first; S3 refuses, so the job is retried rather than acked.
      await eventually(async () => (await rowsOf(erin)).scans === 0, 10000, "Erin's rows to be deleted");
      await eventually(
        () => logged.some((l) => l.includes('job failed, retrying') && l.includes('q.account.scan')),
        10000,
        'a retry of the deletion',
      );
      expect(await objectsUnder(`scans/${erin}/`)).toHaveLength(6);
    } finally {
      s3proxy.restore();
    }
    await eventually(
      async () => (await objectsUnder(`scans/${erin}/`)).length === 0,
      15000,
      "Erin's images to be deleted after S3 came back",
    );
    await settled();
    expect(await count('q.dlq')).toBe(0);
  });

  it('remembers the deleted user for the cleanup job, in the same transaction as the scans', async () => {
    const gina = randomUUID();
    await seed(gina, 1);
    await publish(deletion(gina));
    await settled();
    const { rows } = await h.scanPool.query('SELECT 1 FROM deleted_users WHERE user_id = $1', [gina]);
    expect(rows).toHaveLength(1);
    expect(await rowsOf(gina)).toEqual({ scans: 0, events: 0 });
  });

  it('drops the pipeline jobs of scans deleted with their account instead of dead-lettering them', async () => {
    const storage = await buildService(createStorageWorker({ topology }), {
      env: h.env({ DATABASE_URL: h.scanDb.url }),
    });
    try {
      const gone = randomUUID();
      // A storage job, and a classification result for the scan service, of a scan that is gone.
      await publishTo(client, topology, h.prefix, 'q.storage', { scanId: gone });
      await publishTo(client, topology, h.prefix, 'q.api', {
        scanId: gone,
        result: {
          provider: 'label',
          model: null,
          category: null,
          material: null,
          confidence: 0,
          steps: [],
          feedback: 'x',
        },
      });
      await eventually(
        async () => (await count('q.storage')) === 0 && (await count('q.api')) === 0,
        10000,
        'the jobs to be taken',
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(await count('q.dlq')).toBe(0);
      expect(await count('q.ai')).toBe(0);
    } finally {
      await storage.close();
    }
  });

  it('leaves no image behind when a scan is deleted while the storage worker processes it', async () => {
    const storage = await buildService(createStorageWorker({ topology }), {
      env: h.env({ DATABASE_URL: h.scanDb.url }),
    });
    try {
      const frank = randomUUID();
      const { id } = await uploadedScan(h, frank, 'vanish');
      await h.scanPool.query(`UPDATE scans SET status = 'queued', submitted_at = now() WHERE id = $1`, [id]);
      // The account deletion lands right after the worker claimed the scan: the row is gone
      // before the worker writes the cleaned image and thumbnail.
      await h.scanPool.query(`
        CREATE OR REPLACE FUNCTION test_vanish() RETURNS trigger AS $$
        BEGIN DELETE FROM scans WHERE id = NEW.id; RETURN NULL; END $$ LANGUAGE plpgsql;
        CREATE OR REPLACE TRIGGER test_vanish AFTER UPDATE ON scans FOR EACH ROW
          WHEN (NEW.status = 'checking' AND NEW.label = 'vanish') EXECUTE FUNCTION test_vanish();`);
      await publishTo(client, topology, h.prefix, 'q.storage', { scanId: id });
      await eventually(async () => (await count('q.storage')) === 0, 10000, 'the job to be taken');
      await eventually(
        async () => (await objectsUnder(`scans/${frank}/`)).length === 0,
        10000,
        'the objects of the deleted scan to be removed',
      );
      await new Promise((r) => setTimeout(r, 300));
      expect(await objectsUnder(`scans/${frank}/`)).toEqual([]);
      // Nothing passed on for a scan that no longer exists.
      expect(await count('q.ai')).toBe(0);
      expect(await count('q.dlq')).toBe(0);
    } finally {
      await storage.close();
      await h.scanPool.query(
        'DROP TRIGGER IF EXISTS test_vanish ON scans; DROP FUNCTION IF EXISTS test_vanish()',
      );
    }
  });
});
