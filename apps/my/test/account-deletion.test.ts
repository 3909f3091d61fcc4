// Account deletion end to end: DELETE /api/v1/my/account with the real auth, my, scan, character
// and chat services, real PostgreSQL, Redis and RabbitMQ, and S3 through the local S3 server (the scan tests'
// harness). The deletion reaches scan, character and chat through auth's outbox and x.account.
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { createCharacterService } from '@hybrid/character';
import { createChatService } from '@hybrid/chat';
import { imageKeys, publishAccountEvent, publishTo } from '@hybrid/queue';
import { createScanService } from '@hybrid/scan';
import { AmqpClient, buildService, createLogger, type BuiltService } from '@hybrid/service-kit';
import {
  createTestDatabase,
  eventually,
  testUrls,
  uniqueName,
  type TestDatabase,
} from '@hybrid/tools/test-env';
import amqp, { type ChannelModel } from 'amqplib';
import { Redis } from 'ioredis';
import pg from 'pg';
import { createMyService } from '../src/app';
import { freshIp, startAuth, STRONG_PASSWORD, type AuthFixture } from '../../auth/test/helpers';
import { connect, type Client } from '../../chat/test/helpers';
import { BUCKET, fastTopology, putObject, startHarness, type Harness } from '../../scan/test/harness';

const topology = fastTopology;

describe('account deletion across the services', () => {
  let h: Harness;
  let auth: AuthFixture;
  let authUrl: string;
  let myDb: TestDatabase;
  let my: BuiltService;
  let scan: BuiltService;
  let character: BuiltService;
  let chat: BuiltService;
  let chatWs: string;
  let publisher: AmqpClient;
  let conn: ChannelModel;
  let redis: Redis;
  const chatPrefix = `${uniqueName('e2e_chat')}:`;
  const clients: Client[] = [];

  beforeAll(async () => {
    h = await startHarness('acct_e2e');
    // Every service on the harness's queue names, so auth's events reach their consumers.
    auth = await startAuth('acct_e2e_auth', { QUEUE_PREFIX: h.prefix, OUTBOX_POLL_MS: '200' });
    authUrl = await auth.svc.app.listen({ port: 0, host: '127.0.0.1' });
    myDb = await createTestDatabase('acct_e2e_my');
    const verifier = {
      AUTH_JWKS_URL: `${authUrl}/.well-known/jwks.json`,
      AUTH_DENYLIST_URL: testUrls.redis,
      AUTH_DENYLIST_PREFIX: auth.prefix,
    };
    [my, scan, character, chat] = await Promise.all([
      buildService(createMyService({ topology }), {
        env: h.env({
          ...verifier,
          DATABASE_URL: myDb.url,
          REDIS_URL: testUrls.redis,
          REDIS_KEY_PREFIX: `${uniqueName('e2e_my')}:`,
          AUTH_URL: authUrl,
        }),
      }),
      buildService(createScanService({ topology }), {
        env: h.env({ ...verifier, DATABASE_URL: h.scanDb.url }),
      }),
      buildService(createCharacterService({ topology }), {
        env: h.env({ ...verifier, DATABASE_URL: h.characterDb.url }),
      }),
      buildService(createChatService({ topology }), {
        env: h.env({
          ...verifier,
          DATABASE_URL: h.infoDb.url,
          REDIS_URL: testUrls.redis,
          REDIS_KEY_PREFIX: chatPrefix,
        }),
      }),
    ]);
    chatWs = `${(await chat.app.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws')}/api/v1/chat/ws`;
    publisher = new AmqpClient(testUrls.amqp, createLogger('test', 'silent'));
    await publisher.connect();
    conn = await amqp.connect(testUrls.amqp);
    redis = new Redis(testUrls.redis);
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await Promise.allSettled([my?.close(), scan?.close(), character?.close(), chat?.close()]);
    await publisher?.close();
    await conn?.close();
    const keys = await redis.keys(`${chatPrefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis?.quit();
    await myDb?.drop();
    await auth?.close();
    await h?.close();
  });

  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  /** A registered, logged-in user with data in every service. */
  async function userWithData(nickname: string) {
    const email = `${uniqueName('e2e')}@example.com`;
    const reg = await auth.svc.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password: STRONG_PASSWORD, nickname },
      headers: { 'x-forwarded-for': freshIp() },
    });
    expect(reg.statusCode).toBe(201);
    const id = reg.json().user.id as string;
    const login = await auth.svc.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password: STRONG_PASSWORD },
      headers: { 'x-forwarded-for': freshIp() },
    });
    const { accessToken, refreshToken } = login.json() as { accessToken: string; refreshToken: string };

    // my: a profile and settings.
    const s = await my.app.inject({
      method: 'PATCH',
      url: '/api/v1/my/settings',
      headers: bearer(accessToken),
      payload: { theme: 'dark' },
    });
    expect(s.statusCode).toBe(200);
    // scan: a scan created and uploaded through the API, then finished with its image and thumbnail.
    const photo = Buffer.from('not really a jpeg, S3 does not mind');
    const created = await scan.app.inject({
      method: 'POST',
      url: '/api/v1/scan',
      headers: bearer(accessToken),
      payload: { contentType: 'image/jpeg', size: photo.length, category: 'glass' },
    });
    expect(created.statusCode).toBe(201);
    const c = created.json() as { scanId: string; uploadUrl: string; uploadHeaders: Record<string, string> };
    const put = await fetch(c.uploadUrl, {
      method: 'PUT',
      headers: c.uploadHeaders,
      body: new Uint8Array(photo),
    });
    expect(put.status).toBe(200);
    const keys = imageKeys(id, c.scanId);
    await h.scanPool.query(
      `UPDATE scans SET status = 'done', image_key = $2, thumb_key = $3, completed_at = now() WHERE id = $1`,
      [c.scanId, keys.image, keys.thumb],
    );
    await putObject(h.s3, keys.image, photo, 'image/jpeg');
    await putObject(h.s3, keys.thumb, photo, 'image/jpeg');
    // character: XP for the completed scan.
    await publishTo(publisher, topology, h.prefix, 'q.batch', {
      scanId: c.scanId,
      userId: id,
      category: 'glass',
      material: null,
      completedAt: new Date().toISOString(),
    });
    await eventually(
      async () =>
        (await character.app.inject({ url: '/api/v1/character', headers: bearer(accessToken) })).json().xp >
        0,
      10000,
      'the XP award',
    );
    // chat: a question, so there is history and a rate-limit window.
    const ws = connect(chatWs, { protocols: ['chat.v1', `bearer.${accessToken}`] });
    clients.push(ws);
    await ws.opened;
    await ws.next('ready');
    expect((await ws.ask('glass bottle')).final).toMatchObject({ type: 'done' });
    ws.ws.close();
    return { id, email, accessToken, refreshToken };
  }

  /** What each service still holds of a user. */
  async function holdings(userId: string) {
    const q = async (db: TestDatabase, sql: string) => {
      const c = new pg.Client({ connectionString: db.url });
      await c.connect();
      try {
        return Number((await c.query<{ n: string }>(sql, [userId])).rows[0]!.n);
      } finally {
        await c.end();
      }
    };
    const objects = await h.s3.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: `scans/${userId}/` }));
    return {
      auth: Number(
        (await auth.svc.ctx.pg!.query('SELECT count(*) AS n FROM users WHERE id = $1', [userId])).rows[0].n,
      ),
      my: await q(
        myDb,
        'SELECT (SELECT count(*) FROM profiles WHERE user_id = $1) + (SELECT count(*) FROM settings WHERE user_id = $1) AS n',
      ),
      scans: await q(
        h.scanDb,
        `SELECT (SELECT count(*) FROM scans WHERE user_id = $1)
              + (SELECT count(*) FROM scan_events e JOIN scans s ON s.id = e.scan_id WHERE s.user_id = $1) AS n`,
      ),
      images: objects.Contents?.length ?? 0,
      character: await q(
        h.characterDb,
        `SELECT (SELECT count(*) FROM characters WHERE user_id = $1) + (SELECT count(*) FROM xp_awards WHERE user_id = $1)
              + (SELECT count(*) FROM badges WHERE user_id = $1) AS n`,
      ),
      chat: (await redis.keys(`${chatPrefix}*${userId}`)).filter(
        (k) => !k.startsWith(`${chatPrefix}deleted:`),
      ).length,
    };
  }
  const nothing = { auth: 0, my: 0, scans: 0, images: 0, character: 0, chat: 0 };

  /** No account queue holds a message (every delivery acked) and nothing was dead-lettered. */
  async function queuesSettled() {
    const ch = await conn.createChannel();
    try {
      await eventually(
        async () => {
          for (const q of topology.queues.filter((x) => x.exchange === 'x.account'))
            for (const name of [q.name, ...[100, 200, 300].map((d) => `${q.name}.retry.${d}`)])
              if ((await ch.checkQueue(`${h.prefix}${name}`)).messageCount) return false;
          return true;
        },
        10000,
        'the account queues to be drained',
      );
      await new Promise((r) => setTimeout(r, 300));
      expect((await ch.checkQueue(`${h.prefix}q.dlq`)).messageCount).toBe(0);
    } finally {
      await ch.close();
    }
  }

  it('deleting the account through my removes the data in auth, my, scan (rows and S3), character and chat', async () => {
    const alice = await userWithData('Alice');
    const bob = await userWithData('Bob');
    const before = await holdings(alice.id);
    expect(before).toEqual({ auth: 1, my: 2, scans: 1 + 2, images: 3, character: 1 + 1 + 1, chat: 2 });

    const r = await my.app.inject({
      method: 'DELETE',
      url: '/api/v1/my/account',
      headers: bearer(alice.accessToken),
    });
    expect(r.statusCode).toBe(204);
    let left = before;
    await eventually(
      async () => {
        left = await holdings(alice.id);
        return JSON.stringify(left) === JSON.stringify(nothing);
      },
      15000,
      "every service to delete Alice's data",
    ).catch((err: Error) => {
      throw new Error(`${err.message}; left: ${JSON.stringify(left)}`);
    });
    await queuesSettled();
    expect(await holdings(bob.id)).toEqual(before);

    // Every token is revoked, everywhere.
    for (const [svc, url] of [
      [my, '/api/v1/my/profile'],
      [scan, '/api/v1/scan'],
      [character, '/api/v1/character'],
      [chat, '/api/v1/chat/history'],
    ] as const)
      expect([url, (await svc.app.inject({ url, headers: bearer(alice.accessToken) })).statusCode]).toEqual([
        url,
        401,
      ]);
    const refresh = await auth.svc.app.inject({
      method: 'POST',
      url: '/api/v1/auth/refresh',
      payload: { refreshToken: alice.refreshToken },
    });
    expect(refresh.statusCode).toBe(401);
    expect(
      (await scan.app.inject({ url: '/api/v1/scan', headers: bearer(bob.accessToken) })).statusCode,
    ).toBe(200);
  });

  it('takes a repeated deletion event without failing and without touching anyone else', async () => {
    const carol = await userWithData('Carol');
    const dave = await userWithData('Dave');
    const daves = await holdings(dave.id);
    const r = await my.app.inject({
      method: 'DELETE',
      url: '/api/v1/my/account',
      headers: bearer(carol.accessToken),
    });
    expect(r.statusCode).toBe(204);
    await eventually(async () => JSON.stringify(await holdings(carol.id)) === JSON.stringify(nothing), 15000);
    await queuesSettled();
    // The event again, as a redelivery (or a second publish by the outbox) would bring it, twice.
    const again = {
      type: 'account.deleted' as const,
      eventId: randomUUID(),
      userId: carol.id,
      deletedAt: new Date().toISOString(),
    };
    await publishAccountEvent(publisher, topology, h.prefix, again);
    await publishAccountEvent(publisher, topology, h.prefix, again);
    await queuesSettled();
    expect(await holdings(carol.id)).toEqual(nothing);
    expect(await holdings(dave.id)).toEqual(daves);
  });
});
