// Account deletion in the chat service: the q.account.chat consumer, the deleted mark that keeps
// an answer in progress from writing history again, and sessions ending when their token is revoked.
import { randomUUID } from 'node:crypto';
import { catalog } from '@hybrid/catalog';
import { publishAccountEvent, useTopology, type AccountDeleted } from '@hybrid/queue/core';
import {
  AmqpClient,
  buildService,
  createLogger,
  denylistTokens,
  runMigrations,
  type BuiltService,
} from '@hybrid/service-kit';
import {
  createTestDatabase,
  dropTopology,
  eventually,
  testUrls,
  uniqueName,
  type TestDatabase,
} from '@hybrid/tools/test-env';
import amqp, { type ChannelModel } from 'amqplib';
import { Redis } from 'ioredis';
import { createLocalJWKSet, exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import { chatService } from '../src/app';
import { ChatStore, DELETED_MARK_TTL_SEC } from '../src/history';
import { connect, infoMigrationsDir, type Client } from './helpers';

describe('account deletion in the chat service', () => {
  const prefix = `${uniqueName('chat_acct')}:`;
  const queuePrefix = `${uniqueName('chat_acct')}.`;
  let db: TestDatabase;
  let redis: Redis;
  let svc: BuiltService;
  let ws: string;
  let publisher: AmqpClient;
  let conn: ChannelModel;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  const clients: Client[] = [];

  const token = (sub: string, jti = uniqueName('jti')) =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
      .setIssuer('waste-coach-auth')
      .setAudience('waste-coach')
      .setSubject(sub)
      .setJti(jti)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { extractable: true });
    privateKey = pair.privateKey;
    const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
    db = await createTestDatabase('chat_acct');
    await runMigrations(db.url, infoMigrationsDir, createLogger('test', 'silent'));
    redis = new Redis(testUrls.redis, { keyPrefix: prefix });
    svc = await buildService(chatService, {
      jwks: createLocalJWKSet({ keys: [jwk] }),
      env: {
        LOG_LEVEL: 'silent',
        DATABASE_URL: db.url,
        REDIS_URL: testUrls.redis,
        REDIS_KEY_PREFIX: prefix,
        AUTH_DENYLIST_URL: testUrls.redis,
        AUTH_DENYLIST_PREFIX: `${prefix}auth:`,
        AMQP_URL: testUrls.amqp,
        QUEUE_PREFIX: queuePrefix,
      },
    });
    ws = `${(await svc.app.listen({ port: 0, host: '127.0.0.1' })).replace('http', 'ws')}/api/v1/chat/ws`;
    publisher = new AmqpClient(testUrls.amqp, createLogger('test', 'silent'));
    await publisher.connect();
    // The chat service connects to RabbitMQ in the background (critical: false), so its queue may
    // not be bound yet; declare the topology as auth's outbox does before it publishes.
    await useTopology(publisher, catalog, queuePrefix);
    conn = await amqp.connect(testUrls.amqp);
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await svc?.close();
    await publisher?.close();
    await conn?.close();
    await redis?.quit();
    const plain = new Redis(testUrls.redis);
    const keys = await plain.keys(`${prefix}*`);
    if (keys.length) await plain.del(...keys);
    await plain.quit();
    await db?.drop();
    await dropTopology(catalog, queuePrefix);
  });

  const deletion = (userId: string): AccountDeleted => ({
    type: 'account.deleted',
    eventId: randomUUID(),
    userId,
    deletedAt: new Date().toISOString(),
  });
  const publish = (e: AccountDeleted) => publishAccountEvent(publisher, catalog, queuePrefix, e);
  async function session(user: string, jti?: string) {
    const c = connect(ws, { protocols: ['chat.v1', `bearer.${await token(user, jti)}`] });
    clients.push(c);
    await c.opened;
    await c.next('ready');
    return c;
  }
  const keysOf = async (user: string) =>
    (await redis.keys(`${prefix}*${user}`)).map((k) => k.slice(prefix.length).replace(user, '<user>')).sort();

  it("deletes the user's history and rate-limit window, and nobody else's, when the account is deleted", async () => {
    const gone = randomUUID();
    const stays = randomUUID();
    for (const u of [gone, stays]) {
      const c = await session(u);
      expect((await c.ask('battery')).final).toMatchObject({ type: 'done' });
    }
    expect(await keysOf(gone)).toEqual(['history:<user>', 'rate:<user>']);
    await publish(deletion(gone));
    await eventually(async () => (await keysOf(gone)).length === 1, 10000, 'the keys to be deleted');
    // Only the deleted mark is left, and it expires.
    expect(await keysOf(gone)).toEqual(['deleted:<user>']);
    const ttl = await redis.ttl(`deleted:${gone}`);
    expect(ttl).toBeGreaterThan(DELETED_MARK_TTL_SEC - 60);
    expect(ttl).toBeLessThanOrEqual(DELETED_MARK_TTL_SEC);
    expect(await keysOf(stays)).toEqual(['history:<user>', 'rate:<user>']);
  });

  it('takes the same deletion again without failing (redelivery), and an answer finishing afterwards keeps nothing', async () => {
    const u = randomUUID();
    const store = new ChatStore(redis, { ttlSec: 600, maxMessages: 10, ratePerMin: 5 });
    await store.append(u, 'what about glass?', 'rinse it');
    const e = deletion(u);
    await publish(e);
    await publish(e);
    await eventually(async () => (await store.history(u)).length === 0, 10000, 'the history to go');
    const ch = await conn.createChannel();
    await eventually(
      async () => (await ch.checkQueue(`${queuePrefix}q.account.chat`)).messageCount === 0,
      10000,
      'both deliveries to be taken',
    );
    await new Promise((r) => setTimeout(r, 200));
    for (const q of ['q.dlq', 'q.account.chat.retry.1000'])
      expect([q, (await ch.checkQueue(`${queuePrefix}${q}`)).messageCount]).toEqual([q, 0]);
    await ch.close();
    // An answer that was in progress when the account went.
    await store.append(u, 'and paper?', 'flatten it');
    expect(await store.history(u)).toEqual([]);
    expect(await keysOf(u)).toEqual(['deleted:<user>']);
  });

  it('ends an open session at its next question once its token is revoked (as every token of a deleted account is)', async () => {
    const u = randomUUID();
    const jti = uniqueName('jti');
    const c = await session(u, jti);
    expect((await c.ask('battery')).final).toMatchObject({ type: 'done' });
    const authRedis = new Redis(testUrls.redis, { keyPrefix: `${prefix}auth:` });
    await denylistTokens(authRedis, [{ jti, exp: Math.floor(Date.now() / 1000) + 300 }]);
    await authRedis.quit();
    // The revocation reaches the service's copy of the denylist within a moment.
    await new Promise((r) => setTimeout(r, 200));
    c.send({ type: 'ask', id: 'after', text: 'glass' });
    await c.closed;
    expect([c.closeCode, c.closeReason]).toEqual([4401, 'token revoked']);
    expect(c.messages.find((m) => m.type === 'done')).toBeUndefined();
  });
});
