// The submit publishes its q.storage job before its transaction commits (so an unconfirmed
// publish changes nothing). A worker that gets the job first must wait for that commit, not fail
// the job into the retry queue (a 1 s backoff on nearly every scan at a steady rate).
import { randomUUID } from 'node:crypto';
import { publishTo } from '@hybrid/queue';
import {
  AmqpClient,
  buildService,
  createLogger,
  withTransaction,
  type BuiltService,
} from '@hybrid/service-kit';
import { eventually, testUrls } from '@hybrid/tools/test-env';
import { createStorageWorker } from '@hybrid/worker-storage';
import { createScanService } from '../src/app';
import { capturingLogger, fastTopology, startHarness, uploadedScan, type Harness } from './harness';

describe('a storage job that arrives before the submit commits', () => {
  let h: Harness;
  let client: AmqpClient;
  let scan: BuiltService;

  beforeAll(async () => {
    h = await startHarness('race');
    // The scan service owns the schema (its migrations) and declares the topology.
    scan = await buildService(createScanService({ topology: fastTopology }), {
      env: h.env({ DATABASE_URL: h.scanDb.url }),
    });
    client = new AmqpClient(testUrls.amqp, createLogger('test', 'silent'));
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await scan?.close();
    await h?.close();
  });

  it('waits for the commit and processes the scan on its first delivery', async () => {
    const { logger, logged } = capturingLogger('worker-storage');
    const storage = await buildService(createStorageWorker({ topology: fastTopology }), {
      env: h.env({ DATABASE_URL: h.scanDb.url }),
      logger,
    });
    try {
      const user = randomUUID();
      const { id } = await uploadedScan(h, user);
      // What the submit does, with the commit held back until the worker has the job.
      let taken = false;
      await withTransaction(h.scanPool, async (c) => {
        await c.query(`UPDATE scans SET status = 'queued', submitted_at = now() WHERE id = $1`, [id]);
        await publishTo(client, fastTopology, h.prefix, 'q.storage', { scanId: id });
        await eventually(
          async () => {
            // The worker's query waits on this transaction's row lock.
            const { rows } = await h.scanPool.query<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity
                WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            );
            return (taken = rows[0]!.n > 0);
          },
          5000,
          'the worker to wait for the submit',
        );
      });
      expect(taken).toBe(true);
      await eventually(
        async () =>
          (await h.scanPool.query<{ status: string }>('SELECT status FROM scans WHERE id = $1', [id])).rows[0]
            ?.status === 'classifying',
        10000,
        'the scan to be checked',
      );
      expect(logged.filter((l) => l.includes('job failed'))).toEqual([]);
    } finally {
      await storage.close();
    }
  });
});
