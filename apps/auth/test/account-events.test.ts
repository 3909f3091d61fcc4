import { accountQueues } from '@hybrid/catalog';
import { buildService, type BuiltService } from '@hybrid/service-kit';
import {
  eventually,
  startTcpProxy,
  testUrls,
  uniqueName,
  viaProxy,
  type TcpProxy,
} from '@hybrid/tools/test-env';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { authService } from '../src/app';
import { freshIp, startAuth, STRONG_PASSWORD, type AuthFixture } from './helpers';

const api = (p: string) => `/api/v1/auth${p}`;

/** Takes every message waiting in a queue. */
async function drain(ch: Channel, queue: string) {
  const out: { body: Record<string, unknown>; messageId: unknown; persistent: boolean }[] = [];
  for (;;) {
    const m = await ch.get(queue, { noAck: true });
    if (!m) return out;
    out.push({
      body: JSON.parse(m.content.toString()) as Record<string, unknown>,
      messageId: m.properties.messageId,
      persistent: m.properties.deliveryMode === 2,
    });
  }
}

async function register(svc: BuiltService) {
  const email = `${uniqueName('del')}@example.com`;
  const reg = await svc.app.inject({
    method: 'POST',
    url: api('/register'),
    payload: { email, password: STRONG_PASSWORD, nickname: 'Leaving' },
    headers: { 'x-forwarded-for': freshIp() },
  });
  expect(reg.statusCode).toBe(201);
  const login = await svc.app.inject({
    method: 'POST',
    url: api('/login'),
    payload: { email, password: STRONG_PASSWORD },
    headers: { 'x-forwarded-for': freshIp() },
  });
  expect(login.statusCode).toBe(200);
  return { id: reg.json().user.id as string, token: login.json().accessToken as string };
}

const deleteMe = (svc: BuiltService, token: string) =>
  svc.app.inject({ method: 'DELETE', url: api('/me'), headers: { authorization: `Bearer ${token}` } });

const pending = async (svc: BuiltService) =>
  (await svc.ctx.pg!.query<{ n: number }>('SELECT count(*)::int AS n FROM account_events')).rows[0]!.n;

describe('account events (the outbox of account deletions)', () => {
  let conn: ChannelModel;
  let ch: Channel;
  beforeAll(async () => {
    conn = await amqp.connect(testUrls.amqp);
    ch = await conn.createChannel();
  });
  afterAll(async () => {
    await conn?.close();
  });

  describe('with RabbitMQ up', () => {
    let f: AuthFixture;
    beforeAll(async () => {
      f = await startAuth('acct_events');
      await eventually(() => f.svc.ctx.amqp!.connected, 10000, 'auth connected to RabbitMQ');
    });
    afterAll(async () => {
      await f?.close();
    });

    it('publishes one confirmed, persistent account.deleted event per deletion to every account queue', async () => {
      const u = await register(f.svc);
      expect((await deleteMe(f.svc, u.token)).statusCode).toBe(204);
      const got = new Map<string, Awaited<ReturnType<typeof drain>>>();
      await eventually(
        async () => {
          for (const q of accountQueues) {
            const taken = await drain(ch, `${f.queuePrefix}${q.name}`);
            got.set(q.name, [...(got.get(q.name) ?? []), ...taken]);
          }
          return accountQueues.every((q) => got.get(q.name)!.length >= 1);
        },
        10000,
        'the event in every account queue',
      );
      const first = got.get('q.account.scan')![0]!;
      expect(first.body).toEqual({
        type: 'account.deleted',
        eventId: expect.stringMatching(/^[0-9a-f-]{36}$/),
        userId: u.id,
        deletedAt: expect.any(String),
      });
      expect(first.messageId).toBe(first.body.eventId);
      expect(first.persistent).toBe(true);
      for (const q of accountQueues) expect(got.get(q.name)!.map((m) => m.body)).toEqual([first.body]);
      // Published and confirmed: nothing of the user is left in the outbox.
      expect(await pending(f.svc)).toBe(0);
    });

    it('announces a deletion once even when the same token asks twice at the same moment', async () => {
      const u = await register(f.svc);
      const answers = await Promise.all([deleteMe(f.svc, u.token), deleteMe(f.svc, u.token)]);
      expect(answers.map((a) => a.statusCode).sort()).toEqual([204, expect.any(Number)]);
      await eventually(async () => (await pending(f.svc)) === 0, 10000, 'an empty outbox');
      // Let a late duplicate show up if there were one.
      await new Promise((r) => setTimeout(r, 300));
      for (const q of accountQueues) {
        const msgs = await drain(ch, `${f.queuePrefix}${q.name}`);
        expect([q.name, msgs.map((m) => m.body.userId)]).toEqual([q.name, [u.id]]);
      }
    });

    it('shares the outbox between replicas without publishing a row twice', async () => {
      const second = await buildService(authService, { env: f.env });
      try {
        await eventually(() => second.ctx.amqp!.connected, 10000, 'the second replica connected');
        const users = [];
        for (let i = 0; i < 6; i++) users.push(await register(i % 2 ? second : f.svc));
        await Promise.all(users.map((u, i) => deleteMe(i % 2 ? f.svc : second, u.token)));
        const ids: string[] = [];
        await eventually(
          async () => {
            ids.push(
              ...(await drain(ch, `${f.queuePrefix}q.account.chat`)).map((m) => m.body.userId as string),
            );
            return ids.length >= users.length;
          },
          10000,
          'every deletion announced',
        );
        await new Promise((r) => setTimeout(r, 300));
        ids.push(...(await drain(ch, `${f.queuePrefix}q.account.chat`)).map((m) => m.body.userId as string));
        expect(ids.sort()).toEqual(users.map((u) => u.id).sort());
      } finally {
        await second.close();
      }
      for (const q of accountQueues) await drain(ch, `${f.queuePrefix}${q.name}`);
    });
  });

  describe('with RabbitMQ unreachable', () => {
    let proxy: TcpProxy;
    let f: AuthFixture;
    beforeAll(async () => {
      proxy = await startTcpProxy(testUrls.amqp);
      f = await startAuth('acct_outage', { AMQP_URL: viaProxy(testUrls.amqp, proxy), OUTBOX_POLL_MS: '100' });
      await eventually(() => f.svc.ctx.amqp!.connected, 10000, 'auth connected to RabbitMQ');
    });
    afterAll(async () => {
      await f?.close();
      await proxy?.close();
    });

    it('keeps serving and keeps the event, across a restart, until RabbitMQ is back', async () => {
      proxy.cut();
      await eventually(() => !f.svc.ctx.amqp!.connected, 10000, 'the connection to drop');
      // Accounts and tokens do not need the broker: auth stays ready and deletes the account.
      expect((await f.svc.app.inject({ url: '/ready' })).statusCode).toBe(200);
      const u = await register(f.svc);
      expect((await deleteMe(f.svc, u.token)).statusCode).toBe(204);
      await new Promise((r) => setTimeout(r, 600));
      expect(await pending(f.svc)).toBe(1);

      // auth restarts while the broker is still away: it starts without it, and the row is still there.
      await f.svc.close();
      const again = await buildService(authService, { env: f.env });
      try {
        expect((await again.app.inject({ url: '/ready' })).statusCode).toBe(200);
        expect(again.ctx.amqp!.connected).toBe(false);
        expect(await pending(again)).toBe(1);
        for (const q of accountQueues) expect(await drain(ch, `${f.queuePrefix}${q.name}`)).toEqual([]);

        proxy.restore();
        const got: Record<string, unknown>[] = [];
        await eventually(
          async () => {
            got.push(...(await drain(ch, `${f.queuePrefix}q.account.scan`)).map((m) => m.body));
            return got.length > 0;
          },
          15000,
          'the event published once RabbitMQ is back',
        );
        expect(got).toEqual([expect.objectContaining({ type: 'account.deleted', userId: u.id })]);
        await eventually(async () => (await pending(again)) === 0, 5000, 'an empty outbox');
        const metrics = await again.app.inject({ url: '/metrics' });
        expect(metrics.body).toMatch(/^auth_account_events_pending\{service="auth"\} 0$/m);
      } finally {
        await again.close();
      }
    });
  });
});
