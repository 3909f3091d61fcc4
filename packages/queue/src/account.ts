import { ACCOUNT_DELETED } from '@hybrid/catalog';
import type { AmqpClient, ServiceContext } from '@hybrid/service-kit';
import { PermanentError, type Delivery, type Topology } from './consumer';
import { startServiceConsumer } from './group';

/**
 * Account events: auth publishes them (from its outbox) on `x.account`; every service that keeps
 * data of a user consumes them from its own `q.account.<service>` queue.
 */
export const ACCOUNT_EXCHANGE = 'x.account';
export { ACCOUNT_DELETED };

/** An account was deleted at auth: every service deletes what it keeps of the user. */
export interface AccountDeleted {
  readonly type: typeof ACCOUNT_DELETED;
  /** Unique per deletion; also the AMQP message id. A redelivery carries the same one. */
  readonly eventId: string;
  /** The deleted user's id (a UUID: the `sub` of their access tokens). */
  readonly userId: string;
  readonly deletedAt: string;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Reads an account event. The user id must be a UUID: consumers delete by it (S3 prefixes
 * included), so an empty or path-like id is refused rather than risk deleting anyone else's data.
 */
export function parseAccountDeleted(body: unknown): AccountDeleted {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw new PermanentError('message must be an object');
  const b = body as Record<string, unknown>;
  if (b.type !== ACCOUNT_DELETED) throw new PermanentError(`unknown account event type ${String(b.type)}`);
  if (typeof b.eventId !== 'string' || !UUID.test(b.eventId))
    throw new PermanentError('eventId must be a UUID');
  if (typeof b.userId !== 'string' || !UUID.test(b.userId)) throw new PermanentError('userId must be a UUID');
  const at = typeof b.deletedAt === 'string' ? new Date(b.deletedAt) : new Date(NaN);
  if (Number.isNaN(at.getTime())) throw new PermanentError('deletedAt must be a date');
  return {
    type: ACCOUNT_DELETED,
    eventId: b.eventId.toLowerCase(),
    userId: b.userId.toLowerCase(),
    deletedAt: at.toISOString(),
  };
}

/**
 * Publishes an account event on `x.account` (under `prefix`) and resolves once the broker
 * confirmed it; rejects when it is not connected, refuses the message, or has not confirmed
 * within `timeoutMs` (the message may still arrive: consumers are idempotent).
 */
export async function publishAccountEvent(
  amqp: AmqpClient,
  topology: Topology,
  prefix: string,
  event: AccountDeleted,
  timeoutMs = 10_000,
): Promise<void> {
  if (!topology.exchanges.some((e) => e.name === ACCOUNT_EXCHANGE))
    throw new Error(`exchange "${ACCOUNT_EXCHANGE}" is not in the topology`);
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      amqp.publish(`${prefix}${ACCOUNT_EXCHANGE}`, event.type, event, {
        messageId: event.eventId,
        type: event.type,
        timestamp: Math.floor(Date.parse(event.deletedAt) / 1000),
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`RabbitMQ did not confirm within ${timeoutMs} ms`)),
          timeoutMs,
        );
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Consumes a service's queue of account deletions (`q.account.<service>`). `forget` deletes what
 * the service keeps of the user, idempotently (a redelivery finds nothing left), and returns the
 * figures to log. A deletion given up after the queue's attempts is logged as an error naming
 * what may remain; the message waits in q.dlq for a replay.
 */
export async function consumeAccountDeletions(
  ctx: ServiceContext,
  topology: Topology,
  opts: {
    readonly queue: string;
    /** What the service keeps of a user, for the log lines, e.g. "profile". */
    readonly what: string;
    readonly forget: (e: AccountDeleted, delivery: Delivery) => Promise<Record<string, unknown> | void>;
  },
): Promise<void> {
  await startServiceConsumer(ctx, topology, {
    queue: opts.queue,
    parse: parseAccountDeleted,
    handle: async (e, delivery) => {
      const figures = await opts.forget(e, delivery);
      ctx.log.info(
        { user: e.userId, event: e.eventId, ...figures },
        `account deleted: the user's ${opts.what} removed`,
      );
    },
    onDead: async (e, err) => {
      ctx.log.error(
        { user: e?.userId, event: e?.eventId, err: { message: err.message } },
        `account deletion given up: the user's ${opts.what} may remain; replay the message from q.dlq`,
      );
    },
  });
}
