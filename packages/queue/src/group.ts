import type { ServiceApp, ServiceContext } from '@hybrid/service-kit';
import { QueueConsumer, useTopology, type ConsumerOptions, type Topology } from './consumer';

/**
 * The consumers of one service. `attach(app, ctx)` (call it from `routes`) stops them in fastify's
 * preClose, before the kit drains in-flight work, so no new job starts while the service drains.
 */
export class ConsumerGroup {
  private readonly consumers: QueueConsumer<unknown>[] = [];

  async start<T>(opts: ConsumerOptions<T>): Promise<QueueConsumer<T>> {
    const c = new QueueConsumer(opts);
    this.consumers.push(c as QueueConsumer<unknown>);
    await c.start();
    return c;
  }

  async stop(timeoutMs?: number): Promise<void> {
    await Promise.all(this.consumers.map((c) => c.stop(timeoutMs)));
  }
}

const groups = new WeakMap<ServiceContext, ConsumerGroup>();

/** The consumer group of a built service. */
export function consumersOf(ctx: ServiceContext): ConsumerGroup {
  let g = groups.get(ctx);
  if (!g) {
    g = new ConsumerGroup();
    groups.set(ctx, g);
  }
  return g;
}

/** Registers the hooks that stop the service's consumers on close. */
export function attachConsumers(app: ServiceApp, ctx: ServiceContext): void {
  const timeout = ctx.config.number('SHUTDOWN_TIMEOUT_MS');
  app.addHook('preClose', async () => consumersOf(ctx).stop(timeout));
  ctx.onShutdown(() => consumersOf(ctx).stop(timeout));
}

/** What a service says about its consumer; the rest comes from its context. */
export type ServiceConsumerOptions<T> = Omit<
  ConsumerOptions<T>,
  'amqp' | 'topology' | 'prefix' | 'log' | 'track'
>;

/**
 * Declares the topology under the service's QUEUE_PREFIX and starts one consumer in the service's
 * group, on its AMQP client and logger, with every message tracked as in-flight work.
 */
export async function startServiceConsumer<T>(
  ctx: ServiceContext,
  topology: Topology,
  opts: ServiceConsumerOptions<T>,
): Promise<QueueConsumer<T>> {
  const amqp = ctx.amqp;
  if (!amqp) throw new Error(`${opts.queue}: the service has no AMQP client`);
  const prefix = ctx.config.string('QUEUE_PREFIX');
  await useTopology(amqp, topology, prefix);
  return consumersOf(ctx).start({
    ...opts,
    amqp,
    topology,
    prefix,
    log: ctx.log,
    track: (p) => ctx.inflight.track(p),
  });
}
