import type { Redis } from 'ioredis';
import { createRedis } from './clients';
import type { Logger } from './logger';

/** Key under which the auth service denylists a logged-out access token's `jti` until its `exp`. */
export const denylistKey = (jti: string): string => `denylist:${jti}`;
/** Channel on which every denylisting is announced, so services can keep a local copy. */
export const denylistChannel = (prefix: string): string => `${prefix}denylist`;

export interface DenylistEntry {
  readonly jti: string;
  /** The access token's `exp` (seconds since the epoch); the entry is kept until then. */
  readonly exp: number;
}

/**
 * Denylists access tokens: one key per `jti` expiring with the token, and one announcement on
 * {@link denylistChannel} in the same MULTI, so a mirror either sees both or neither. Keys go
 * through the client's `keyPrefix`; channels are not keys, so the prefix is added to the channel here.
 */
export async function denylistTokens(redis: Redis, entries: readonly DenylistEntry[]): Promise<void> {
  const now = Date.now() / 1000;
  const live = entries.filter((e) => e.exp > now);
  if (!live.length) return;
  const multi = redis.multi();
  for (const e of live) multi.set(denylistKey(e.jti), '1', 'EX', Math.max(1, Math.ceil(e.exp - now)));
  multi.publish(
    denylistChannel(redis.options.keyPrefix ?? ''),
    JSON.stringify(live.map((e) => [e.jti, e.exp])),
  );
  const results = await multi.exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw failed?.[0] ?? new Error('denylist transaction was discarded');
}

export interface DenylistMirrorOptions {
  /** Commands (SCAN, PTTL); no key prefix on this client, `prefix` is applied explicitly. */
  readonly redis: Redis;
  /** A dedicated connection for the subscription (it can run nothing else). */
  readonly subscriber: Redis;
  /** The auth service's key prefix. */
  readonly prefix: string;
  readonly log: Logger;
  /** The subscription is pinged this often; a late answer means the copy may be stale. */
  readonly heartbeatMs?: number;
}

/**
 * A local copy of the denylist, so checking a token costs no round trip. It is trusted only while
 * it is known to be complete: subscribed to the announcements first, then filled by a SCAN of the
 * keys, and its subscription answering a ping every `heartbeatMs`. Whenever that is not known, or
 * the connection drops, {@link revoked} answers `undefined` and the caller asks Redis itself.
 * A revocation therefore reaches every service within the announcement's delivery time, or within
 * two heartbeats if the subscription silently broke.
 */
export class DenylistMirror {
  /** jti -> exp (seconds since the epoch). */
  private readonly entries = new Map<string, number>();
  private synced = false;
  /** Bumped on every loss of the subscription, so a sync that started before it does not count. */
  private epoch = 0;
  private syncing: Promise<void> | undefined;
  private heartbeat: NodeJS.Timeout | undefined;
  private pruner: NodeJS.Timeout | undefined;
  private lastPong = 0;
  private lastForced = 0;
  private stopped = false;
  private readonly channel: string;
  private readonly heartbeatMs: number;
  private readonly listeners = new Set<(jti: string) => void>();

  constructor(private readonly opts: DenylistMirrorOptions) {
    this.channel = denylistChannel(opts.prefix);
    this.heartbeatMs = opts.heartbeatMs ?? 500;
  }

  /** Starts following the denylist; returns at once (checks fall back to Redis until synced). */
  start(): void {
    const { subscriber } = this.opts;
    subscriber.on('message', (channel: string, message: string) => {
      if (channel === this.channel) this.apply(message);
    });
    // ioredis re-subscribes after a reconnect; the copy is rebuilt each time the connection is ready.
    subscriber.on('ready', () => this.sync());
    subscriber.on('close', () => this.lose('subscription closed'));
    if (subscriber.status === 'ready') this.sync();
    this.lastForced = Date.now();
    this.heartbeat = setInterval(() => this.ping(), this.heartbeatMs).unref();
    this.pruner = setInterval(() => this.prune(), 30_000).unref();
  }

  stop(): void {
    this.stopped = true;
    this.synced = false;
    clearInterval(this.heartbeat);
    clearInterval(this.pruner);
  }

  /**
   * Calls `fn` with every `jti` newly denylisted (announced, or found when the copy is rebuilt
   * after a gap), so holders of long-lived connections can end them. Returns the unsubscribe.
   */
  onRevoked(fn: (jti: string) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private add(jti: string, exp: number): void {
    const known = this.entries.has(jti);
    this.entries.set(jti, exp);
    if (known) return;
    for (const fn of this.listeners) {
      try {
        fn(jti);
      } catch (err) {
        this.opts.log.warn({ err: { message: (err as Error).message } }, 'denylist listener failed');
      }
    }
  }

  /** Whether the copy is complete right now. */
  get isSynced(): boolean {
    return this.synced && Date.now() - this.lastPong <= 2 * this.heartbeatMs;
  }

  /** `true` if denylisted, `false` if not, `undefined` when the copy cannot be trusted right now. */
  revoked(jti: string): boolean | undefined {
    if (!this.isSynced) return undefined;
    return this.entries.has(jti);
  }

  private apply(message: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(message);
    } catch {
      parsed = undefined;
    }
    if (!Array.isArray(parsed)) {
      // Something else publishes here: the copy may be missing what it meant, so rebuild it.
      this.opts.log.warn('unreadable denylist announcement; rebuilding the local copy');
      this.lose('unreadable announcement');
      this.sync();
      return;
    }
    for (const item of parsed) {
      if (Array.isArray(item) && typeof item[0] === 'string' && typeof item[1] === 'number')
        this.add(item[0], item[1]);
    }
  }

  private lose(reason: string): void {
    if (this.synced) this.opts.log.warn({ reason }, 'denylist copy is stale; checking Redis directly');
    this.synced = false;
    this.epoch++;
  }

  private ping(): void {
    const { subscriber } = this.opts;
    if (subscriber.status !== 'ready') return;
    // Late answers only mean "not trusted now" (TCP loses nothing while the connection lives). A
    // connection silent for ten heartbeats may be dead without knowing it: reconnect, which
    // closes it ('close' marks the copy stale) and rebuilds the copy on 'ready'.
    if (Date.now() - Math.max(this.lastPong, this.lastForced) > 10 * this.heartbeatMs) {
      this.lastForced = Date.now();
      this.opts.log.warn('denylist subscription stopped answering; reconnecting');
      this.lose('subscription stopped answering');
      subscriber.disconnect(true);
      return;
    }
    const sent = Date.now();
    subscriber.ping().then(
      () => {
        // Only an answer to a ping sent within the window proves the subscription was alive then.
        if (sent > this.lastPong) this.lastPong = sent;
      },
      () => undefined,
    );
  }

  private sync(): void {
    if (this.stopped || this.syncing) return;
    const epoch = this.epoch;
    this.syncing = this.load()
      .then(() => {
        if (epoch === this.epoch && !this.stopped) {
          this.lastPong = Date.now();
          this.synced = true;
          this.opts.log.debug({ entries: this.entries.size }, 'denylist copy synced');
        }
      })
      .catch((err: unknown) => {
        this.opts.log.warn({ err: { message: (err as Error).message } }, 'denylist sync failed; retrying');
        setTimeout(() => this.sync(), 1000).unref();
      })
      .finally(() => {
        this.syncing = undefined;
        // Lost again while loading: go again (the subscription is back if 'ready' fired meanwhile).
        if (epoch !== this.epoch && this.opts.subscriber.status === 'ready') this.sync();
      });
  }

  /** Subscribes (announcements from now on are kept), then reads every key already there. */
  private async load(): Promise<void> {
    const { redis, subscriber, prefix } = this.opts;
    await subscriber.subscribe(this.channel);
    const match = `${prefix}${denylistKey('*')}`;
    const skip = prefix.length + denylistKey('').length;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', match, 'COUNT', 1000);
      cursor = next;
      if (!keys.length) continue;
      const ttls = await redis.pipeline(keys.map((k) => ['pttl', k])).exec();
      const now = Date.now();
      keys.forEach((k, i) => {
        const ttl = ttls?.[i]?.[1];
        if (typeof ttl === 'number' && ttl > 0) this.add(k.slice(skip), (now + ttl) / 1000);
      });
    } while (cursor !== '0');
  }

  private prune(): void {
    const now = Date.now() / 1000;
    for (const [jti, exp] of this.entries) if (exp <= now) this.entries.delete(jti);
  }
}

/** What a {@link TokenVerifier} needs to check the denylist: Redis, the prefix and a local copy. */
export interface DenylistConnection {
  readonly redis: Redis;
  readonly prefix: string;
  readonly mirror: DenylistMirror;
  close(): Promise<void>;
}

/**
 * Connects to the auth service's denylist at `url` (keys under `prefix`) and starts a local copy.
 * Direct checks (while the copy is not trusted) are auto-pipelined: the checks of requests
 * arriving in the same poll phase share one write.
 */
export function connectDenylist(url: string, prefix: string, log: Logger): DenylistConnection {
  const redis = createRedis(url, log, { enableAutoPipelining: true });
  const subscriber = createRedis(url, log);
  const mirror = new DenylistMirror({ redis, subscriber, prefix, log });
  mirror.start();
  return {
    redis,
    prefix,
    mirror,
    close: async () => {
      mirror.stop();
      // Auto-pipelined checks leave on the next turn; QUIT is written at once, so let them go first.
      await new Promise((r) => setImmediate(r));
      await Promise.allSettled([
        redis.quit().catch(() => redis.disconnect()),
        subscriber.quit().catch(() => subscriber.disconnect()),
      ]);
    },
  };
}
