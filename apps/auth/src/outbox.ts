import {
  ACCOUNT_DELETED,
  publishAccountEvent,
  useTopology,
  type AccountDeleted,
  type Topology,
} from '@hybrid/queue/core';
import { withTransaction, type AmqpClient, type Logger } from '@hybrid/service-kit';
import type pg from 'pg';
import { Gauge, type Registry } from 'prom-client';

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * Records an account deletion in the outbox. Call it inside the transaction that deletes the
 * user: the event then exists if and only if the deletion committed.
 */
export async function recordAccountDeleted(db: Queryable, userId: string): Promise<void> {
  await db.query('INSERT INTO account_events (type, user_id) VALUES ($1, $2)', [ACCOUNT_DELETED, userId]);
}

interface EventRow {
  id: string;
  event_id: string;
  user_id: string;
  occurred_at: Date;
}

export interface AccountEventRelayOptions {
  readonly pool: pg.Pool;
  readonly amqp: AmqpClient;
  readonly topology: Topology;
  /** QUEUE_PREFIX */
  readonly prefix: string;
  readonly log: Logger;
  /** How often the outbox is looked at without being asked (rows another replica left, a broker back). */
  readonly pollMs: number;
  /** Rows published per transaction. @default 50 */
  readonly batchSize?: number;
  /** How long a publisher confirm may take before the batch is given up (and retried). @default 10000 */
  readonly confirmTimeoutMs?: number;
  /** Registers `auth_account_events_pending` here. */
  readonly metrics?: Registry;
}

/**
 * Publishes the outbox's account events to RabbitMQ. A batch of rows is locked (SKIP LOCKED, so
 * replicas share the work), each row is published with a publisher confirm, and the rows are
 * deleted in the same transaction once every confirm arrived. If the broker is unreachable, refuses
 * a message or does not confirm in time, the transaction rolls back and the rows wait for the next
 * run: a deletion is announced at least once, across broker outages and restarts of auth alike
 * (a crash between the confirm and the commit announces it twice; consumers are idempotent).
 *
 * A run starts when asked ({@link kick}, after each deletion), when the broker connection comes
 * back, and every `pollMs`.
 */
export class AccountEventRelay {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private failing = false;
  private readonly onConnected = () => this.kick();

  constructor(private readonly opts: AccountEventRelayOptions) {
    if (opts.metrics) {
      const pool = opts.pool;
      new Gauge({
        name: 'auth_account_events_pending',
        help: 'Account events in the outbox, not yet confirmed by RabbitMQ.',
        registers: [opts.metrics],
        async collect() {
          try {
            const { rows } = await pool.query<{ n: number }>('SELECT count(*)::int AS n FROM account_events');
            this.set(rows[0]!.n);
          } catch {
            // PostgreSQL is down: keep the last value rather than fail the whole scrape.
          }
        },
      });
    }
  }

  /** Declares the topology (so the event's queues exist before anything is published) and starts. */
  async start(): Promise<void> {
    this.stopped = false;
    // Also runs after every reconnect, before the 'connected' event triggers a run.
    await useTopology(this.opts.amqp, this.opts.topology, this.opts.prefix);
    this.opts.amqp.on('connected', this.onConnected);
    const tick = () => {
      this.kick();
      this.timer = setTimeout(tick, this.opts.pollMs);
      this.timer.unref();
    };
    tick();
  }

  /** Publishes what is pending, now (or right after the run under way). */
  kick(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.drain().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Rows still waiting. */
  async pending(): Promise<number> {
    const { rows } = await this.opts.pool.query<{ n: number }>(
      'SELECT count(*)::int AS n FROM account_events',
    );
    return rows[0]!.n;
  }

  /** Stops polling and waits for the run under way; what is left stays in the outbox. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.again = false;
    clearTimeout(this.timer);
    this.opts.amqp.off('connected', this.onConnected);
    await this.running;
  }

  private async drain(): Promise<void> {
    const size = this.opts.batchSize ?? 50;
    try {
      let published = 0;
      for (;;) {
        const n = await this.publishBatch(size);
        published += n;
        if (n < size || this.stopped) break;
      }
      if (this.failing) {
        this.opts.log.info({ published }, 'account events: RabbitMQ reachable again, outbox flushed');
        this.failing = false;
      }
    } catch (err) {
      if (!this.failing) {
        this.opts.log.warn(
          { err: { message: (err as Error).message } },
          'account events wait in the outbox: RabbitMQ did not take them, retrying',
        );
      }
      this.failing = true;
    }
  }

  private async publishBatch(size: number): Promise<number> {
    const { pool, amqp, topology, prefix } = this.opts;
    // Nothing is locked while the broker is known to be away.
    if (!amqp.connected) throw new Error('RabbitMQ is not connected');
    return withTransaction(pool, async (c) => {
      const { rows } = await c.query<EventRow>(
        `SELECT id, event_id, user_id, occurred_at FROM account_events
          ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED`,
        [size],
      );
      if (!rows.length) return 0;
      await Promise.all(
        rows.map((r) =>
          publishAccountEvent(amqp, topology, prefix, toEvent(r), this.opts.confirmTimeoutMs ?? 10_000),
        ),
      );
      await c.query('DELETE FROM account_events WHERE id = ANY($1::bigint[])', [rows.map((r) => r.id)]);
      return rows.length;
    });
  }
}

const toEvent = (r: EventRow): AccountDeleted => ({
  type: ACCOUNT_DELETED,
  eventId: r.event_id,
  userId: r.user_id,
  deletedAt: r.occurred_at.toISOString(),
});
