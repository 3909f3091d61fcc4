import type { ServiceApp, ServiceContext } from '@hybrid/service-kit';
import { QueueConsumer, type ConsumerOptions } from './consumer';

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
