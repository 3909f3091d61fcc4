import { buildCatalog, type QueueSpec, type WorkloadSpec } from '@hybrid/catalog';
import {
  dropTopology,
  eventually,
  startTcpProxy,
  testUrls,
  uniqueName,
  viaProxy,
  type TcpProxy,
} from '@hybrid/tools/test-env';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import {
  buildService,
  declareTopology,
  retryQueueName,
  type BuiltService,
  type ServiceDefinition,
} from '../src';

const res = { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '128Mi' } };
const broker: WorkloadSpec = {
  name: 'mq',
  product: 'platform',
  kind: 'data',
  engine: 'rabbitmq',
  cluster: 'kubeadm',
  description: 'mq',
  port: 5672,
  resources: res,
};
const service = (name: string, critical?: boolean): WorkloadSpec => ({
  name,
  product: 'platform',
  kind: 'http',
  cluster: 'kubeadm',
  description: name,
  resources: res,
  dependencies: {
    amqp: { server: 'mq', publishes: ['q.one', 'q.two'], ...(critical === undefined ? {} : { critical }) },
  },
});
const queue = (name: string, routingKey: string): QueueSpec => ({
  name,
  description: name,
  exchange: 'x.events',
  routingKey,
  bindingKeys: ['thing.*'],
  maxAttempts: 2,
  retryDelaysMs: [50],
  deadLetter: 'q.dead',
});
const topology = {
  exchanges: [
    { name: 'x.events', type: 'topic' as const },
    { name: 'x.dead', type: 'direct' as const },
  ],
  queues: [
    queue('q.one', 'to.one'),
    queue('q.two', 'to.two'),
    {
      name: 'q.dead',
      description: 'dead',
      exchange: 'x.dead',
      routingKey: 'dead',
      maxAttempts: 1,
      retryDelaysMs: [],
    },
  ],
};
const testCatalog = buildCatalog({
  workloads: [broker, service('outboxed', false), service('strict')],
  ...topology,
  images: { mq: '4', outboxed: '1', strict: '1' },
});

describe('RabbitMQ in the service kit', () => {
  const prefix = `${uniqueName('kitmq')}.`;
  let conn: ChannelModel;
  let ch: Channel;
  beforeAll(async () => {
    conn = await amqp.connect(testUrls.amqp);
    ch = await conn.createChannel();
  });
  afterAll(async () => {
    await conn?.close();
    await dropTopology(topology, prefix);
  });

  it('binds a queue with its routing key and its binding keys: an event reaches every subscriber, a retry its own queue', async () => {
    const confirm = await conn.createConfirmChannel();
    await declareTopology(confirm, topology, prefix);
    await confirm.close();
    const publish = (key: string, body: string) => ch.publish(`${prefix}x.events`, key, Buffer.from(body));
    publish('thing.happened', 'event');
    publish('to.two', 'retry of two');
    const read = async (q: string) => {
      const got: string[] = [];
      await eventually(async () => {
        const m = await ch.get(`${prefix}${q}`, { noAck: true });
        if (m) got.push(m.content.toString());
        return got.length >= (q === 'q.two' ? 2 : 1);
      });
      return got.sort();
    };
    expect(await read('q.one')).toEqual(['event']);
    expect(await read('q.two')).toEqual(['event', 'retry of two']);
    expect(await ch.get(`${prefix}q.one`)).toBe(false);
    // Retry queues come back through the work queue's own key.
    const retry = await ch.checkQueue(`${prefix}${retryQueueName('q.one', 50)}`);
    expect(retry.messageCount).toBe(0);
  });

  describe('with the broker unreachable at start', () => {
    let proxy: TcpProxy;
    const built: BuiltService[] = [];
    beforeAll(async () => {
      proxy = await startTcpProxy(testUrls.amqp);
      proxy.cut();
    });
    afterAll(async () => {
      for (const s of built) await s.close();
      await proxy?.close();
    });
    const def = (workload: string, onSetup: () => void): ServiceDefinition => ({
      workload,
      start: async (ctx) => {
        await ctx.amqp!.addSetup(async (c) => {
          await declareTopology(c, topology, prefix);
          onSetup();
        });
      },
    });
    const env = () => ({ LOG_LEVEL: 'silent', AMQP_URL: viaProxy(testUrls.amqp, proxy) });

    it('does not start a workload that needs it (critical, the default)', async () => {
      await expect(
        buildService(
          def('strict', () => undefined),
          { catalog: testCatalog, env: env() },
        ),
      ).rejects.toThrow();
    });

    it('starts a workload that can serve without it (critical: false), stays ready, and connects once it is back', async () => {
      let setups = 0;
      const svc = await buildService(
        def('outboxed', () => setups++),
        { catalog: testCatalog, env: env() },
      );
      built.push(svc);
      expect(svc.ctx.amqp!.connected).toBe(false);
      expect((await svc.app.inject({ url: '/ready' })).statusCode).toBe(200);
      expect(setups).toBe(0);
      proxy.restore();
      await eventually(() => svc.ctx.amqp!.connected, 15000, 'the background connection');
      expect(setups).toBe(1);
      await svc.ctx.amqp!.publish(`${prefix}x.events`, 'thing.done', { ok: true });
      await eventually(async () => (await ch.checkQueue(`${prefix}q.one`)).messageCount === 1);
      await ch.purgeQueue(`${prefix}q.one`);
      await ch.purgeQueue(`${prefix}q.two`);
    });
  });
});
