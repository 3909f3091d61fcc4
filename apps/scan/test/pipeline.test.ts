import { createCharacterService } from '@hybrid/character';
import { publishTo, type Topology } from '@hybrid/queue';
import { AmqpClient, buildService, createLogger, type BuiltService } from '@hybrid/service-kit';
import { eventually, testUrls } from '@hybrid/tools/test-env';
import { createAiWorker } from '@hybrid/worker-ai';
import { createStorageWorker } from '@hybrid/worker-storage';
import { createServer } from 'node:http';
import amqp from 'amqplib';
import sharp from 'sharp';
import { createScanService } from '../src/app';
import {
  BUCKET,
  deleteObject,
  fastTopology,
  getObject,
  jpegWithGps,
  objectExists,
  putObject,
  startHarness,
  type Harness,
} from './harness';

const topology: Topology = fastTopology;

describe('scan pipeline: upload, storage worker, AI worker, result, character', () => {
  let h: Harness;
  let scan: BuiltService;
  let storage: BuiltService;
  let ai: BuiltService;
  let character: BuiltService;
  let base: string;
  let alice: string;
  let bob: string;

  beforeAll(async () => {
    h = await startHarness('pipeline');
    scan = await buildService(createScanService({ topology }), {
      env: h.env({ DATABASE_URL: h.scanDb.url }),
    });
    await scan.app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(scan.app.server.address() as { port: number }).port}/api/v1/scan`;
    [storage, ai, character] = await Promise.all([
      buildService(createStorageWorker({ topology }), { env: h.env({ DATABASE_URL: h.scanDb.url }) }),
      buildService(createAiWorker({ topology }), { env: h.env({ DATABASE_URL: h.scanDb.url }) }),
      buildService(createCharacterService({ topology }), { env: h.env({ DATABASE_URL: h.characterDb.url }) }),
    ]);
    alice = await h.token('alice');
    bob = await h.token('bob');
  });
  afterAll(async () => {
    await Promise.allSettled([scan?.close(), storage?.close(), ai?.close(), character?.close()]);
    await h?.close();
  });

  const auth = (t: string) => ({ authorization: `Bearer ${t}` });

  async function createScan(token: string, body: Buffer, contentType: string, category?: string) {
    const r = await scan.app.inject({
      method: 'POST',
      url: '/api/v1/scan',
      headers: auth(token),
      payload: { contentType, size: body.length, ...(category ? { category } : {}) },
    });
    expect(r.statusCode).toBe(201);
    return r.json() as { scanId: string; uploadUrl: string; uploadHeaders: Record<string, string> };
  }
  async function upload(token: string, body: Buffer, contentType: string, category?: string) {
    const c = await createScan(token, body, contentType, category);
    const put = await fetch(c.uploadUrl, {
      method: 'PUT',
      headers: c.uploadHeaders,
      body: new Uint8Array(body),
    });
    expect(put.status).toBe(200);
    return c.scanId;
  }
  const submit = (token: string, id: string) =>
    scan.app.inject({ method: 'POST', url: `/api/v1/scan/${id}/submit`, headers: auth(token) });
  const get = async (token: string, id: string) =>
    (await scan.app.inject({ url: `/api/v1/scan/${id}`, headers: auth(token) })).json();
  async function settled(token: string, id: string) {
    let last: { status: string } = { status: '' };
    await eventually(
      async () => {
        last = await get(token, id);
        return last.status === 'done' || last.status === 'failed';
      },
      20000,
      `scan ${id} to finish`,
    );
    return last as Record<string, unknown> & { status: string; error: string | null };
  }
  async function events(id: string) {
    const { rows } = await h.scanPool.query<{ status: string }>(
      'SELECT status FROM scan_events WHERE scan_id = $1 ORDER BY id',
      [id],
    );
    return rows.map((r) => r.status);
  }
  const characterOf = async (token: string) =>
    (await character.app.inject({ url: '/api/v1/character', headers: auth(token) })).json();

  it('takes a photo from upload to result, streaming status changes, and strips GPS', async () => {
    const photo = await jpegWithGps();
    expect((await sharp(photo).metadata()).exif).toBeDefined();
    const id = await upload(alice, photo, 'image/jpeg', 'plastic');

    // The status stream, opened before submitting.
    const res = await fetch(`${base}/${id}/events`, { headers: auth(alice) });
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const streamed = (async () => {
      let text = '';
      const decoder = new TextDecoder();
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>)
        text += decoder.decode(chunk);
      return [...text.matchAll(/^data: (.*)$/gm)].map(
        (m) => (JSON.parse(m[1]!) as { status: string }).status,
      );
    })();

    // Someone else cannot submit it, uploaded or not; in capitals the id is the same scan.
    expect((await submit(bob, id)).statusCode).toBe(404);
    const s = await submit(alice, id.toUpperCase());
    expect(s.statusCode).toBe(202);
    expect(s.json()).toEqual({ scanId: id, status: 'queued' });
    // Submitting again queues nothing more: it answers with the scan's status as it is now.
    const again = await submit(alice, id);
    expect(again.statusCode).toBe(202);
    expect(['queued', 'checking', 'classifying', 'done']).toContain(again.json().status);

    // The stream ends by itself at the terminal status.
    expect(await streamed).toEqual(['awaiting_upload', 'queued', 'checking', 'classifying', 'done']);
    const done = await get(alice, id);
    expect(done).toMatchObject({
      id,
      status: 'done',
      label: 'plastic',
      error: null,
      image: { type: 'image/jpeg', width: 640, height: 480 },
      result: {
        provider: 'label',
        model: null,
        category: { slug: 'plastic', name: 'Plastic' },
        material: null,
        confidence: null,
        steps: [
          { position: 1, text: 'Empty and rinse it.', textKo: '내용물을 비우고 헹구세요.' },
          { position: 2, text: 'Remove the label.', textKo: '라벨을 제거하세요.' },
          { position: 3, text: 'Put it in the plastic bin.', textKo: '플라스틱 수거함에 넣으세요.' },
        ],
      },
    });
    // The label provider says that no model looked at the photo.
    expect(done.result.feedback).toMatch(/No image recognition is configured.*photo was not analysed/);

    // Stored: a cleaned image without any EXIF (so no GPS) and a thumbnail; the raw upload is gone.
    const { rows } = await h.scanPool.query(
      'SELECT upload_key, image_key, thumb_key FROM scans WHERE id = $1',
      [id],
    );
    const keys = rows[0] as { upload_key: string; image_key: string; thumb_key: string };
    const clean = await getObject(h.s3, keys.image_key);
    const meta = await sharp(clean).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.format).toBe('jpeg');
    expect(clean.includes(Buffer.from('GPS'))).toBe(false);
    expect(clean.includes(Buffer.from('TestCam'))).toBe(false);
    const thumbRes = await fetch(done.image.thumbnailUrl);
    const thumb = Buffer.from(await thumbRes.arrayBuffer());
    expect(await sharp(thumb).metadata()).toMatchObject({ format: 'jpeg', width: 320, height: 240 });
    expect(await objectExists(h.s3, keys.upload_key)).toBe(false);

    // XP for the completed scan: 10 per scan + 5 classified + 15 first of its category.
    await eventually(async () => (await characterOf(alice)).xp > 0, 10000, 'xp');
    expect(await characterOf(alice)).toMatchObject({
      userId: 'alice',
      xp: 30,
      level: 1,
      scans: 1,
      badges: [expect.objectContaining({ id: 'first-scan' })],
      recent: [expect.objectContaining({ scanId: id, xp: 30, category: 'plastic' })],
    });
  });

  it('awards XP exactly once per scan when results and completion events repeat', async () => {
    const id = await upload(bob, await jpegWithGps(200, 150), 'image/jpeg', 'glass');
    expect((await submit(bob, id)).statusCode).toBe(202);
    // Submitting again queues nothing more.
    expect((await submit(bob, id)).json()).toEqual({ scanId: id, status: expect.any(String) });
    expect((await settled(bob, id)).status).toBe('done');
    await eventually(async () => (await characterOf(bob)).xp > 0, 10000, 'xp');
    const before = await characterOf(bob);
    expect(before).toMatchObject({ xp: 30, scans: 1 });

    // The same classification delivered again to the scan API, and the completion announced again.
    const client = new AmqpClient(testUrls.amqp, createLogger('test', 'silent'));
    await client.connect();
    const done = await get(bob, id);
    for (let i = 0; i < 3; i++) {
      await publishTo(client, topology, h.prefix, 'q.api', { scanId: id, result: done.result });
      await publishTo(client, topology, h.prefix, 'q.batch', {
        scanId: id,
        userId: 'bob',
        category: 'glass',
        material: null,
        completedAt: new Date().toISOString(),
      });
    }
    await waitForEmpty(['q.api']);
    // A later event for someone else: once it is awarded, the repeats before it were handled too.
    await publishTo(client, topology, h.prefix, 'q.batch', {
      scanId: '00000000-0000-4000-8000-000000000001',
      userId: 'sentinel',
      category: null,
      material: null,
      completedAt: new Date().toISOString(),
    });
    await client.close();
    const sentinel = await h.token('sentinel');
    await eventually(async () => (await characterOf(sentinel)).xp > 0, 10000, 'the later event');
    await waitForEmpty(['q.batch']);
    expect(await characterOf(bob)).toMatchObject({ xp: 30, scans: 1 });
    expect(await events(id)).toEqual(['awaiting_upload', 'queued', 'checking', 'classifying', 'done']);
  });

  async function waitForEmpty(queues: string[]) {
    const conn = await amqp.connect(testUrls.amqp);
    const ch = await conn.createChannel();
    try {
      await eventually(
        async () => {
          for (const q of queues) {
            const { messageCount, consumerCount } = await ch.checkQueue(`${h.prefix}${q}`);
            if (messageCount > 0 || consumerCount === 0) return false;
          }
          return true;
        },
        10000,
        'queues to drain',
      );
      // Delivered messages are acked only after their commit: give the last ones a moment to commit.
      await new Promise((r) => setTimeout(r, 300));
    } finally {
      await conn.close();
    }
  }

  it('fails a file that is not an image, one whose declared type lies, and one that is too large', async () => {
    const text = Buffer.from('%PDF-1.4 this is a document, not a photo\n'.repeat(50));
    const notImage = await upload(alice, text, 'image/png', 'plastic');
    const png = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#0a0' } })
      .png()
      .toBuffer();
    const liar = await upload(alice, png, 'image/jpeg', 'plastic');
    // A client that ignored the limits: the object in storage is bigger than allowed.
    const big = await jpegWithGps(1200, 900);
    expect(big.length).toBeGreaterThan(400 * 1024);
    const c = await createScan(alice, Buffer.alloc(1000), 'image/jpeg');
    const { rows } = await h.scanPool.query<{ upload_key: string }>(
      'SELECT upload_key FROM scans WHERE id = $1',
      [c.scanId],
    );
    await putObject(h.s3, rows[0]!.upload_key, big, 'image/jpeg');

    for (const id of [notImage, liar, c.scanId]) expect((await submit(alice, id)).statusCode).toBe(202);
    expect(await settled(alice, notImage)).toMatchObject({
      status: 'failed',
      error: 'the file is not a JPEG, PNG or WebP image',
      result: null,
    });
    expect(await settled(alice, liar)).toMatchObject({
      status: 'failed',
      error: 'the file is a PNG image but was declared as image/jpeg',
    });
    expect(await settled(alice, c.scanId)).toMatchObject({
      status: 'failed',
      error: `the file is larger than the ${400 * 1024} bytes allowed`,
    });
    expect(await events(liar)).toEqual(['awaiting_upload', 'queued', 'checking', 'failed']);
  });

  it('refuses bad requests with clear errors and changes nothing', async () => {
    const count = async () => Number((await h.scanPool.query('SELECT count(*) FROM scans')).rows[0].count);
    const n = await count();
    const post = (payload: unknown, headers = auth(alice)) =>
      scan.app.inject({ method: 'POST', url: '/api/v1/scan', headers, payload: payload as object });
    const tooBig = await post({ contentType: 'image/jpeg', size: 400 * 1024 + 1 });
    expect(tooBig.statusCode).toBe(422);
    expect(tooBig.json()).toEqual({
      detail: [
        {
          loc: ['body', 'size'],
          msg: `the image is larger than ${400 * 1024} bytes`,
          type: 'less_than_equal',
        },
      ],
    });
    const gif = await post({ contentType: 'image/gif', size: 100 });
    expect(gif.statusCode).toBe(422);
    expect(gif.json().detail[0].loc).toEqual(['body', 'contentType']);
    expect((await post({ contentType: 'image/jpeg', size: 100, category: 'Not A Slug' })).statusCode).toBe(
      422,
    );
    expect((await post({ contentType: 'image/jpeg', size: 100 }, {} as never)).statusCode).toBe(401);
    expect(await count()).toBe(n);

    // Submitting before uploading, and someone else's scan.
    const c = await createScan(alice, Buffer.alloc(2000), 'image/jpeg');
    const early = await submit(alice, c.scanId);
    expect(early.statusCode).toBe(409);
    expect(early.json()).toEqual({ detail: 'upload the image to uploadUrl before submitting' });
    expect((await get(alice, c.scanId)).status).toBe('awaiting_upload');
    expect((await submit(bob, c.scanId)).statusCode).toBe(404);
    expect((await scan.app.inject({ url: `/api/v1/scan/${c.scanId}`, headers: auth(bob) })).statusCode).toBe(
      404,
    );
    expect((await scan.app.inject({ url: '/api/v1/scan/not-a-uuid', headers: auth(alice) })).statusCode).toBe(
      422,
    );

    // The presigned URL binds the declared type and size into its signature: S3 refuses any other
    // (the next test uploads them through the local S3 server, which verifies signatures as S3 does).
    const u = new URL(c.uploadUrl);
    expect(u.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    expect([...u.searchParams.keys()].filter((k) => k.startsWith('x-amz-checksum'))).toEqual([]);
    expect(Number(u.searchParams.get('X-Amz-Expires'))).toBe(600);
  });

  it('has S3 refuse an upload of another type or size than declared, so submitting it answers 409', async () => {
    const photo = await jpegWithGps(200, 150);
    const c = await createScan(alice, photo, 'image/jpeg');
    const { rows } = await h.scanPool.query<{ upload_key: string }>(
      'SELECT upload_key FROM scans WHERE id = $1',
      [c.scanId],
    );
    const key = rows[0]!.upload_key;
    const put = async (headers: Record<string, string>, body: Buffer) => {
      const r = await fetch(c.uploadUrl, { method: 'PUT', headers, body: new Uint8Array(body) });
      return { status: r.status, code: /<Code>([^<]*)<\/Code>/.exec(await r.text())?.[1] };
    };
    const refused = { status: 403, code: 'SignatureDoesNotMatch' };

    // A PNG declared as a JPEG, then more and fewer bytes than declared (each sent with its true length).
    expect(await put({ ...c.uploadHeaders, 'content-type': 'image/png' }, photo)).toEqual(refused);
    const longer = Buffer.concat([photo, Buffer.alloc(4096, 7)]);
    expect(
      await put({ 'content-type': 'image/jpeg', 'content-length': String(longer.length) }, longer),
    ).toEqual(refused);
    expect(await put({ 'content-type': 'image/jpeg' }, photo.subarray(0, photo.length - 100))).toEqual(
      refused,
    );
    expect(h.s3Server.objects(BUCKET)!.has(key)).toBe(false);

    const early = await submit(alice, c.scanId);
    expect(early.statusCode).toBe(409);
    expect(early.json()).toEqual({ detail: 'upload the image to uploadUrl before submitting' });
    expect((await get(alice, c.scanId)).status).toBe('awaiting_upload');

    // The declared upload goes through, and the scan then runs to the end.
    expect(await put(c.uploadHeaders, photo)).toEqual({ status: 200, code: undefined });
    expect((await submit(alice, c.scanId)).statusCode).toBe(202);
    expect((await settled(alice, c.scanId)).status).toBe('done');
  });

  it('lists the history newest first, a page at a time', async () => {
    const ids: string[] = [];
    const carol = await h.token('carol');
    for (let i = 0; i < 3; i++) ids.push((await createScan(carol, Buffer.alloc(1500), 'image/webp')).scanId);
    // All three in one millisecond, as scans made at once can be: PostgreSQL keeps microseconds,
    // and a cursor that kept only milliseconds would skip the rest of that millisecond.
    for (const [i, id] of ids.entries()) {
      await h.scanPool.query('UPDATE scans SET created_at = $1 WHERE id = $2', [
        `2026-01-01T00:00:00.12300${i + 1}Z`,
        id,
      ]);
    }
    const page = async (q: string) =>
      (await scan.app.inject({ url: `/api/v1/scan?${q}`, headers: auth(carol) })).json() as {
        items: { id: string }[];
        nextCursor: string | null;
      };
    const p1 = await page('limit=2');
    expect(p1.items.map((i) => i.id)).toEqual([ids[2], ids[1]]);
    const p2 = await page(`limit=2&cursor=${p1.nextCursor}`);
    expect(p2.items.map((i) => i.id)).toEqual([ids[0]]);
    expect(p2.nextCursor).toBeNull();
    const one = [];
    for (let cursor: string | null = ''; cursor !== null;) {
      const p = await page(`limit=1${cursor ? `&cursor=${cursor}` : ''}`);
      one.push(...p.items.map((i) => i.id));
      cursor = p.nextCursor;
    }
    expect(one).toEqual([ids[2], ids[1], ids[0]]);
    // Forged cursors are the client's mistake: a 422, never a value PostgreSQL refuses (a 500).
    const forged = [
      'nope',
      `2024-01-01T00:00:00Z|${ids[0]}`,
      `1|${'-'.repeat(36)}`,
      `+275760|${ids[0]}`,
      `${'9'.repeat(18)}|${ids[0]}`,
      `1|${ids[0]}|x`,
    ];
    for (const f of forged) {
      const cursor = Buffer.from(f).toString('base64url');
      const bad = await scan.app.inject({ url: `/api/v1/scan?cursor=${cursor}`, headers: auth(carol) });
      expect([f, bad.statusCode, bad.json()]).toEqual([
        f,
        422,
        { detail: [{ loc: ['query', 'cursor'], msg: 'invalid cursor', type: 'value_error' }] },
      ]);
    }
    expect((await page('limit=5')).items.every((i) => ids.includes(i.id))).toBe(true);
    const spec = (await scan.app.inject({ url: '/openapi.json' })).json();
    expect(Object.keys(spec.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/scan/',
        '/api/v1/scan/{id}/submit',
        '/api/v1/scan/{id}',
        '/api/v1/scan/{id}/events',
      ]),
    );
  });

  it('classifies with an OpenAI-compatible model, which sees the cleaned photo only', async () => {
    const seen: string[] = [];
    let status = 200;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const parts = (JSON.parse(body) as { messages: { content: { image_url?: { url: string } }[] }[] })
          .messages[1]!.content;
        seen.push(parts[1]!.image_url!.url);
        res.statusCode = status;
        res.end(
          status === 200
            ? JSON.stringify({
                choices: [
                  { message: { content: '{"category":"plastic","material":"pet-bottle","confidence":0.9}' } },
                ],
              })
            : JSON.stringify({ error: { message: 'invalid api key' } }),
        );
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
    await ai.close();
    ai = await buildService(createAiWorker({ topology }), {
      env: h.env({
        DATABASE_URL: h.scanDb.url,
        VISION_PROVIDER: 'openai',
        VISION_BASE_URL: url,
        VISION_MODEL: 'vision-1',
      }),
    });
    try {
      const id = await upload(alice, await jpegWithGps(300, 200), 'image/jpeg');
      expect((await submit(alice, id)).statusCode).toBe(202);
      expect(await settled(alice, id)).toMatchObject({
        status: 'done',
        result: {
          provider: 'openai',
          model: 'vision-1',
          category: { slug: 'plastic' },
          material: { slug: 'pet-bottle', name: 'PET bottle' },
          confidence: 0.9,
        },
      });
      const sent = Buffer.from(seen[0]!.replace(/^data:image\/jpeg;base64,/, ''), 'base64');
      expect((await sharp(sent).metadata()).exif).toBeUndefined();

      // A refused key is not retried: the scan fails with the provider's reason.
      status = 401;
      const id2 = await upload(alice, await jpegWithGps(300, 200), 'image/jpeg');
      await submit(alice, id2);
      expect(await settled(alice, id2)).toMatchObject({
        status: 'failed',
        error: 'the item could not be classified: the vision provider answered 401: invalid api key',
      });
      expect(seen).toHaveLength(2);
    } finally {
      await ai.close();
      ai = await buildService(createAiWorker({ topology }), { env: h.env({ DATABASE_URL: h.scanDb.url }) });
      await new Promise((r) => server.close(r));
    }
  });

  it('retries a failing job with backoff, then dead-letters it and marks the scan failed', async () => {
    const conn = await amqp.connect(testUrls.amqp);
    const ch = await conn.createChannel();
    try {
      // The upload disappears between submit and the storage step: every attempt fails.
      const id = await upload(bob, await jpegWithGps(100, 80), 'image/jpeg');
      const { rows } = await h.scanPool.query<{ upload_key: string }>(
        'SELECT upload_key FROM scans WHERE id = $1',
        [id],
      );
      await ch.purgeQueue(`${h.prefix}q.dlq`);
      await storage.close(); // hold the worker while the object goes away
      expect((await submit(bob, id)).statusCode).toBe(202);
      await deleteObject(h.s3, rows[0]!.upload_key);
      storage = await buildService(createStorageWorker({ topology }), {
        env: h.env({ DATABASE_URL: h.scanDb.url }),
      });
      const failed = await settled(bob, id);
      expect(failed.status).toBe('failed');
      expect(failed.error).toBe(
        'the image could not be processed: the uploaded image is missing from storage',
      );
      let dead: amqp.GetMessage | false = false;
      await eventually(
        async () => !!(dead = await ch.get(`${h.prefix}q.dlq`, { noAck: true })),
        5000,
        'dead letter',
      );
      const msg = dead as unknown as amqp.GetMessage;
      expect(JSON.parse(msg.content.toString())).toEqual({ scanId: id });
      expect(msg.properties.headers).toMatchObject({
        'x-attempt': 4,
        'x-queue': 'q.storage',
        'x-error': 'the uploaded image is missing from storage',
      });

      // A message that cannot be read at all goes straight to the DLQ.
      ch.publish(`${h.prefix}x.scan`, 'storage', Buffer.from('{not json'), { persistent: true });
      await eventually(
        async () => !!(dead = await ch.get(`${h.prefix}q.dlq`, { noAck: true })),
        5000,
        'dead letter',
      );
      expect((dead as unknown as amqp.GetMessage).properties.headers).toMatchObject({
        'x-attempt': 1,
        'x-error': 'message body is not JSON',
      });
    } finally {
      await conn.close();
    }
  });
});
