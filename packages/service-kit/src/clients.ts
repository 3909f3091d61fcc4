import { EventEmitter } from 'node:events';
import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { Redis, type RedisOptions } from 'ioredis';
import pg from 'pg';
import type { Logger } from './logger';

/** A PostgreSQL pool. pg replaces broken connections itself; idle-client errors are logged, not fatal. */
export function createPgPool(url: string, log: Logger, max = 10): pg.Pool {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 30000,
    application_name: log.bindings().service as string | undefined,
  });
  pool.on('error', (err) => log.warn({ err }, 'postgres idle client error'));
  return pool;
}

/** An ioredis client that reconnects with capped backoff and fails fast while disconnected. */
export function createRedis(url: string, log: Logger, options: RedisOptions = {}): Redis {
  const redis = new Redis(url, {
    maxRetriesPerRequest: 1,
    connectTimeout: 3000,
    retryStrategy: (times) => Math.min(times * 100, 2000),
    ...options,
  });
  redis.on('error', (err: Error) => log.warn({ err: { message: err.message } }, 'redis error'));
  return redis;
}

export type AmqpSetup = (channel: ConfirmChannel) => Promise<void>;

/**
 * A RabbitMQ connection that comes back by itself: on close it reconnects with backoff and runs
 * every registered setup (topology, consumers) again on the new confirm channel.
 */
export class AmqpClient extends EventEmitter {
  private conn: ChannelModel | undefined;
  private ch: ConfirmChannel | undefined;
  private readonly setups: AmqpSetup[] = [];
  private closing = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {
    super();
  }

  get connected(): boolean {
    return this.ch !== undefined;
  }

  /** The current channel; throws while disconnected. */
  get channel(): ConfirmChannel {
    if (!this.ch) throw new Error('RabbitMQ is not connected');
    return this.ch;
  }

  /** Registers a setup to run now (if connected) and after every reconnect. */
  async addSetup(setup: AmqpSetup): Promise<void> {
    this.setups.push(setup);
    if (this.ch) await setup(this.ch);
  }

  /** Connects once; rejects if the first attempt fails (later losses reconnect in the background). */
  async connect(): Promise<void> {
    this.connecting ??= this.open().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  /** Connects without waiting: a failed first attempt is retried with the same backoff as a lost connection. */
  connectInBackground(): void {
    this.connect().catch((err: Error) => {
      this.log.warn({ err: { message: err.message } }, 'amqp unreachable, connecting in the background');
      this.scheduleReconnect();
    });
  }

  private async open(): Promise<void> {
    // Loaded on first use: services without a broker never pay for the client's code.
    const { connect } = await import('amqplib');
    const conn = await connect(this.url, { timeout: 3000 });
    if (this.closing) {
      // Closed while this attempt was under way.
      await conn.close().catch(() => undefined);
      return;
    }
    conn.on('error', (err: Error) =>
      this.log.warn({ err: { message: err.message } }, 'amqp connection error'),
    );
    conn.on('close', () => this.onClose());
    const ch = await conn.createConfirmChannel();
    ch.on('error', (err: Error) => this.log.warn({ err: { message: err.message } }, 'amqp channel error'));
    ch.on('close', () => {
      if (this.ch === ch) {
        this.ch = undefined;
        if (!this.closing) void conn.close().catch(() => undefined);
      }
    });
    this.conn = conn;
    for (const s of this.setups) await s(ch);
    this.ch = ch;
    this.attempt = 0;
    this.emit('connected');
  }

  private onClose(): void {
    this.ch = undefined;
    this.conn = undefined;
    if (this.closing) return;
    this.emit('disconnected');
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closing || this.timer) return;
    const delay = Math.min(200 * 2 ** this.attempt++, 5000);
    this.log.warn({ delay }, 'amqp disconnected, reconnecting');
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.connect().catch((err: Error) => {
        this.log.warn({ err: { message: err.message } }, 'amqp reconnect failed');
        this.scheduleReconnect();
      });
    }, delay);
    this.timer.unref();
  }

  /** Publishes with a publisher confirm: resolves once the broker has the message. */
  async publish(
    exchange: string,
    routingKey: string,
    body: unknown,
    options: Options.Publish = {},
  ): Promise<void> {
    const ch = this.channel;
    const payload = Buffer.from(JSON.stringify(body));
    await new Promise<void>((resolve, reject) => {
      ch.publish(
        exchange,
        routingKey,
        payload,
        { persistent: true, contentType: 'application/json', ...options },
        (err) => (err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve()),
      );
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    if (this.timer) clearTimeout(this.timer);
    const conn = this.conn;
    this.ch = undefined;
    this.conn = undefined;
    if (conn) await conn.close().catch(() => undefined);
  }
}
