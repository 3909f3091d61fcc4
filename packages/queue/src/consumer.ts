import type { Catalog, QueueSpec } from '@hybrid/catalog';
import { declareTopology, retryQueueName, type AmqpClient, type Logger } from '@hybrid/service-kit';
import type { ConfirmChannel, ConsumeMessage } from 'amqplib';

/** Header carrying the delivery attempt (1 on the first delivery), kept across retry queues. */
export const ATTEMPT_HEADER = 'x-attempt';

/** An error that retrying cannot fix (unknown scan, unreadable message): dead-letter at once. */
export class PermanentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PermanentError';
  }
}

export type Topology = Pick<Catalog, 'queues' | 'exchanges'>;

export interface Delivery {
  /** 1 on the first delivery; grows with every retry. */
  readonly attempt: number;
  readonly maxAttempts: number;
  /** The broker delivered this message before (a consumer died or its channel closed before acking). */
  readonly redelivered: boolean;
}

export interface ConsumerOptions<T> {
  readonly amqp: AmqpClient;
  readonly topology: Topology;
  /** Name prefix of every exchange and queue (per environment or per test). */
  readonly prefix: string;
  /** Catalog name of the queue, e.g. `q.storage`. */
  readonly queue: string;
  readonly log: Logger;
  /** Messages handled at once by this process. @default 8 */
  readonly prefetch?: number;
  /** Turns a message body into a job; throw PermanentError for a malformed one. */
  readonly parse: (body: unknown) => T;
  /** Does the work and commits it; resolves only once the work is durable. */
  readonly handle: (job: T, delivery: Delivery) => Promise<void>;
  /** Called once when a job is given up (after maxAttempts or a PermanentError), before it goes to the DLQ. */
  readonly onDead?: (job: T | undefined, err: Error) => Promise<void>;
  /** Wraps each handled message, e.g. `ctx.inflight.track` so shutdown waits for it. */
  readonly track?: <R>(p: Promise<R>) => Promise<R>;
}

/** Declares the topology (on every (re)connect) with the prefix. */
export async function useTopology(amqp: AmqpClient, topology: Topology, prefix: string): Promise<void> {
  await amqp.addSetup((ch) => declareTopology(ch, topology, prefix));
}

export function queueSpec(topology: Topology, name: string): QueueSpec {
  const q = topology.queues.find((x) => x.name === name);
  if (!q) throw new Error(`queue "${name}" is not in the topology`);
  return q;
}

/** Publishes a job to a catalog queue (through its exchange and routing key) with a publisher confirm. */
export async function publishTo(
  amqp: AmqpClient,
  topology: Topology,
  prefix: string,
  queue: string,
  body: unknown,
  headers: Record<string, unknown> = {},
): Promise<void> {
  const q = queueSpec(topology, queue);
  await amqp.publish(`${prefix}${q.exchange}`, q.routingKey, body, { headers });
}

/**
 * A queue consumer that acks only after the handler committed its work. A failed job is
 * re-published to the queue's retry TTL queue for its attempt (backoff) and acked; once the
 * queue's maxAttempts are used up, or on a PermanentError, `onDead` runs and the job is published
 * to the dead-letter exchange (ending in the DLQ) with the reason in its headers.
 * If the process dies mid-job the message was never acked, so the broker delivers it again.
 */
export class QueueConsumer<T> {
  private readonly spec: QueueSpec;
  private readonly dlq: QueueSpec;
  private tag: string | undefined;
  private channel: ConfirmChannel | undefined;
  private stopped = false;
  private readonly running = new Set<Promise<void>>();

  constructor(private readonly opts: ConsumerOptions<T>) {
    this.spec = queueSpec(opts.topology, opts.queue);
    const dead = opts.topology.queues.find((q) => q.name === this.spec.deadLetter);
    if (!dead) throw new Error(`queue "${opts.queue}" has no dead-letter queue`);
    this.dlq = dead;
  }

  private get queueName(): string {
    return `${this.opts.prefix}${this.spec.name}`;
  }

  async start(): Promise<void> {
    const { amqp, topology, prefix } = this.opts;
    await amqp.addSetup(async (ch) => {
      if (this.stopped) return;
      await declareTopology(ch, topology, prefix);
      await ch.prefetch(this.opts.prefetch ?? 8);
      this.channel = ch;
      const r = await ch.consume(this.queueName, (msg) => {
        if (!msg) return; // cancelled by the broker (queue deleted); a reconnect re-subscribes
        const work = this.onMessage(ch, msg);
        this.running.add(work);
        void work.finally(() => this.running.delete(work));
        if (this.opts.track) void this.opts.track(work);
      });
      this.tag = r.consumerTag;
    });
  }

  /** Stops taking new messages and waits for those in hand. */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopped = true;
    const ch = this.channel;
    if (ch && this.tag) await ch.cancel(this.tag).catch(() => undefined);
    this.tag = undefined;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  private async onMessage(ch: ConfirmChannel, msg: ConsumeMessage): Promise<void> {
    const log = this.opts.log;
    if (this.stopped) {
      // Not started: give it back for another consumer.
      safe(() => ch.nack(msg, false, true));
      return;
    }
    const rawAttempt = Number(msg.properties.headers?.[ATTEMPT_HEADER] ?? 1);
    const attempt = Number.isInteger(rawAttempt) && rawAttempt >= 1 ? rawAttempt : 1;
    const delivery: Delivery = {
      attempt,
      maxAttempts: this.spec.maxAttempts,
      redelivered: msg.fields.redelivered,
    };
    let job: T | undefined;
    try {
      let body: unknown;
      try {
        body = JSON.parse(msg.content.toString('utf8'));
      } catch {
        throw new PermanentError('message body is not JSON');
      }
      job = this.opts.parse(body);
      await this.opts.handle(job, delivery);
      safe(() => ch.ack(msg));
      return;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      const permanent = err instanceof PermanentError;
      try {
        if (!permanent && attempt < this.spec.maxAttempts && this.spec.retryDelaysMs.length) {
          const delays = this.spec.retryDelaysMs;
          const delay = delays[Math.min(attempt - 1, delays.length - 1)]!;
          log.warn(
            { queue: this.spec.name, attempt, delay, err: { message: err.message } },
            'job failed, retrying',
          );
          await this.republish(ch, '', `${this.opts.prefix}${retryQueueName(this.spec.name, delay)}`, msg, {
            [ATTEMPT_HEADER]: attempt + 1,
          });
        } else {
          log.error(
            { queue: this.spec.name, attempt, err: { message: err.message } },
            'job failed for good, dead-lettering',
          );
          if (this.opts.onDead) {
            try {
              await this.opts.onDead(job, err);
            } catch (deadErr) {
              log.error({ err: deadErr }, 'onDead failed');
            }
          }
          await this.republish(ch, `${this.opts.prefix}${this.dlq.exchange}`, this.dlq.routingKey, msg, {
            [ATTEMPT_HEADER]: attempt,
            'x-error': err.message.slice(0, 500),
            'x-queue': this.spec.name,
          });
        }
        safe(() => ch.ack(msg));
      } catch (pubErr) {
        // The retry could not be recorded: leave the message unacked so the broker redelivers it.
        log.error({ err: pubErr }, 'could not re-publish a failed job; it will be redelivered');
        safe(() => ch.nack(msg, false, true));
      }
    }
  }

  private republish(
    ch: ConfirmChannel,
    exchange: string,
    routingKey: string,
    msg: ConsumeMessage,
    headers: Record<string, unknown>,
  ): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      ch.publish(
        exchange,
        routingKey,
        msg.content,
        {
          persistent: true,
          contentType: msg.properties.contentType ?? 'application/json',
          headers: { ...ownHeaders(msg.properties.headers), ...headers },
        },
        (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
      );
    });
  }
}

/** The message's headers without the broker's dead-lettering bookkeeping (x-death, x-first-death-*, x-last-death-*). */
function ownHeaders(h: Record<string, unknown> | undefined): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(h ?? {}).filter(([k]) => k !== 'x-death' && !/^x-(first|last)-death-/.test(k)),
  );
}

function safe(fn: () => void): void {
  try {
    fn();
  } catch {
    // The channel closed: the broker redelivers unacked messages by itself.
  }
}
