import { randomUUID } from 'node:crypto';
import { catalog } from '@hybrid/catalog';
import { imageKeys, publishTo } from '@hybrid/queue';
import { AmqpClient, buildService, createLogger, type BuiltService } from '@hybrid/service-kit';
import { eventually, testUrls } from '@hybrid/tools/test-env';
import { ABANDONED_ERROR } from '../src/cleanup';
import { createScanService } from '../src/app';
import { jpegWithGps, objectExists, putObject, startHarness, type Harness } from './harness';

describe('cleanup of abandoned uploads (the cleanup-uploads job on q.sched)', () => {
  let h: Harness;
  let scan: BuiltService;
  let client: AmqpClient;
  const topology = catalog;

  beforeAll(async () => {
    h = await startHarness('cleanup');
    scan = await buildService(createScanService({ topology }), {
      env: h.env({ DATABASE_URL: h.scanDb.url, ABANDONED_UPLOAD_SEC: '900', UPLOAD_URL_TTL_SEC: '600' }),
    });
    client = new AmqpClient(testUrls.amqp, createLogger('test', 'silent'));
    await client.connect();
  });
  afterAll(async () => {
    await client?.close();
    await scan?.close();
    await h?.close();
  });

  async function newScan(upload: boolean) {
    const token = await h.token('cleanup-user');
    const r = await scan.app.inject({
      method: 'POST',
      url: '/api/v1/scan',
      headers: { authorization: `Bearer ${token}` },
      payload: { contentType: 'image/jpeg', size: (await jpegWithGps()).length, category: 'plastic' },
    });
    expect(r.statusCode).toBe(201);
    const c = r.json() as { scanId: string; uploadUrl: string; uploadHeaders: Record<string, string> };
    if (upload) {
      const put = await fetch(c.uploadUrl, {
        method: 'PUT',
        headers: c.uploadHeaders,
        body: new Uint8Array(await jpegWithGps()),
      });
      expect(put.status).toBe(200);
    }
    const { rows } = await h.scanPool.query<{ upload_key: string }>(
      'SELECT upload_key FROM scans WHERE id = $1',
      [c.scanId],
    );
    return { id: c.scanId, key: rows[0]!.upload_key };
  }
  const deletedUsers = async () =>
    (await h.scanPool.query<{ user_id: string }>('SELECT user_id FROM deleted_users')).rows.map(
      (r) => r.user_id,
    );
  const statusOf = async (id: string) =>
    (
      await h.scanPool.query<{ status: string; error: string | null }>(
        'SELECT status, error FROM scans WHERE id = $1',
        [id],
      )
    ).rows[0];

  it('fails old unsubmitted scans and deletes their uploads, and leaves recent ones alone', async () => {
    const old = await newScan(true);
    const oldNoUpload = await newScan(false);
    const fresh = await newScan(true);
    await h.scanPool.query(
      `UPDATE scans SET created_at = now() - interval '20 minutes' WHERE id = ANY($1::uuid[])`,
      [[old.id, oldNoUpload.id]],
    );
    expect(await objectExists(h.s3, old.key)).toBe(true);

    await publishTo(client, topology, h.prefix, 'q.sched', { job: 'cleanup-uploads' });
    await eventually(async () => (await statusOf(old.id))?.status === 'failed', 10000, 'the cleanup');
    expect(await statusOf(old.id)).toEqual({ status: 'failed', error: ABANDONED_ERROR });
    expect(await statusOf(oldNoUpload.id)).toEqual({ status: 'failed', error: ABANDONED_ERROR });
    expect(await objectExists(h.s3, old.key)).toBe(false);
    // Younger than ABANDONED_UPLOAD_SEC: untouched, and still submittable.
    expect(await statusOf(fresh.id)).toEqual({ status: 'awaiting_upload', error: null });
    expect(await objectExists(h.s3, fresh.key)).toBe(true);

    // The user sees why; submitting the failed scan queues nothing.
    const token = await h.token('cleanup-user');
    const view = await scan.app.inject({
      url: `/api/v1/scan/${old.id}`,
      headers: { authorization: `Bearer ${token}` },
    });
    expect(view.json()).toMatchObject({ status: 'failed', error: ABANDONED_ERROR });

    // A second run (a retry, another replica) finds nothing left and changes nothing.
    await publishTo(client, topology, h.prefix, 'q.sched', { job: 'cleanup-uploads' });
    await publishTo(client, topology, h.prefix, 'q.sched', { job: 'something-else' });
    await new Promise((r) => setTimeout(r, 500));
    expect(await statusOf(fresh.id)).toEqual({ status: 'awaiting_upload', error: null });
  });

  it("sweeps a deleted user's prefix for late uploads until their URLs have expired, then forgets the user", async () => {
    const recent = randomUUID();
    const long = randomUUID();
    const someone = randomUUID();
    // Uploads that landed after the account deletion, with URLs issued before it.
    const late = [imageKeys(recent, randomUUID()).upload, imageKeys(long, randomUUID()).upload];
    const kept = imageKeys(someone, randomUUID()).upload;
    for (const key of [...late, kept]) await putObject(h.s3, key, await jpegWithGps(), 'image/jpeg');
    // One deleted 5 minutes ago (URLs may still work: ABANDONED_UPLOAD_SEC is 900 here), one 20.
    await h.scanPool.query(
      `INSERT INTO deleted_users (user_id, deleted_at) VALUES
         ($1, now() - interval '5 minutes'), ($2, now() - interval '20 minutes')`,
      [recent, long],
    );

    await publishTo(client, topology, h.prefix, 'q.sched', { job: 'cleanup-uploads' });
    await eventually(
      async () => !(await objectExists(h.s3, late[0]!)) && !(await objectExists(h.s3, late[1]!)),
      10000,
      'the late uploads to be deleted',
    );
    expect(await objectExists(h.s3, kept)).toBe(true);
    await eventually(
      async () => (await deletedUsers()).length === 1,
      5000,
      'the user deleted long ago to be forgotten',
    );
    // Still inside the window: swept again on the next run.
    expect(await deletedUsers()).toEqual([recent]);
  });

  it('refuses to start when abandoned uploads would be cleaned before their URL expires', async () => {
    await expect(
      buildService(createScanService({ topology }), {
        env: h.env({ DATABASE_URL: h.scanDb.url, ABANDONED_UPLOAD_SEC: '600', UPLOAD_URL_TTL_SEC: '900' }),
      }),
    ).rejects.toThrow(/ABANDONED_UPLOAD_SEC must be longer than UPLOAD_URL_TTL_SEC/);
  });
});
