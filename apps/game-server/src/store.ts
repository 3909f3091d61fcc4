import { randomBytes } from 'node:crypto';
import type { DrawOp } from '@hybrid/game-protocol';
import type { Redis } from 'ioredis';
import type { RoomRec } from './model';

/** Returned by `withLock` when the room stayed locked by someone else for too long. */
export const BUSY = Symbol('busy');

/** Most operations one drawing may hold; more is refused (a late joiner replays them all). */
export const MAX_OPS = 5000;

/**
 * Where rooms live. `memory` for local play; `redis` so that every replica sees every room, its
 * timer and its drawing. Room state changes only under the room's lock (a lease in Redis: a
 * replica that dies while holding it loses it when the lease expires).
 */
export interface Store {
  readonly kind: 'memory' | 'redis';
  /** Runs `fn` holding the room's lock. `wait` false gives up at once when it is taken. */
  withLock<T>(roomId: string, wait: boolean, fn: () => Promise<T>): Promise<T | typeof BUSY>;
  load(roomId: string): Promise<RoomRec | null>;
  /** Saves the room, its code and its timer (`room.wake`). */
  save(room: RoomRec): Promise<void>;
  remove(room: RoomRec): Promise<void>;
  /** Reserves a join code for a new room; false when taken. */
  claimCode(code: string, roomId: string): Promise<boolean>;
  findByCode(code: string): Promise<string | null>;
  /**
   * This process's latest copy of the room, if it holds one, without taking the lock or waiting
   * (the drawing hot path). It may lag a change made by another replica; not to be modified.
   */
  peek(roomId: string): RoomRec | undefined;
  allRooms(): Promise<RoomRec[]>;
  /** Rooms whose timer is due. */
  dueRooms(now: number, limit: number): Promise<string[]>;
  /** Appends an operation; false when the drawing is full. */
  pushOp(roomId: string, op: DrawOp): Promise<boolean>;
  popOp(roomId: string): Promise<boolean>;
  clearOps(roomId: string): Promise<void>;
  ops(roomId: string): Promise<DrawOp[]>;
  outboxPush(item: string): Promise<void>;
  outboxPeek(n: number): Promise<string[]>;
  outboxAck(item: string): Promise<void>;
  outboxSize(): Promise<number>;
  /** Marks this replica alive for `ttlMs`. */
  heartbeat(replica: string, ttlMs: number): Promise<void>;
  /** Which of these replicas are alive. */
  alive(replicas: readonly string[]): Promise<Set<string>>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Serializes work per key inside this process. */
class LocalQueue {
  private readonly tails = new Map<string, Promise<unknown>>();
  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return next;
  }
  busy(key: string): boolean {
    return this.tails.has(key);
  }
}

export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  private readonly rooms = new Map<string, RoomRec>();
  private readonly codes = new Map<string, string>();
  /**
   * Each operation as its JSON text, as the Redis store keeps it: a parsed stroke (an object, a
   * points array and a boxed pair per point) took about 750 bytes of heap, its text about 140, and
   * a server holds thousands per room. Parsed again only for a late joiner.
   */
  private readonly drawings = new Map<string, string[]>();
  private readonly outbox: string[] = [];
  private readonly queue = new LocalQueue();

  async withLock<T>(roomId: string, wait: boolean, fn: () => Promise<T>): Promise<T | typeof BUSY> {
    if (!wait && this.queue.busy(roomId)) return BUSY;
    return this.queue.run(roomId, fn);
  }
  async load(roomId: string) {
    const r = this.rooms.get(roomId);
    return r ? structuredClone(r) : null;
  }
  async save(room: RoomRec) {
    this.rooms.set(room.id, structuredClone(room));
    this.codes.set(room.code, room.id);
  }
  async remove(room: RoomRec) {
    this.rooms.delete(room.id);
    if (this.codes.get(room.code) === room.id) this.codes.delete(room.code);
    this.drawings.delete(room.id);
  }
  async claimCode(code: string, roomId: string) {
    if (this.codes.has(code)) return false;
    this.codes.set(code, roomId);
    return true;
  }
  async findByCode(code: string) {
    return this.codes.get(code) ?? null;
  }
  peek(roomId: string) {
    return this.rooms.get(roomId);
  }
  async allRooms() {
    return [...this.rooms.values()];
  }
  async dueRooms(now: number, limit: number) {
    const out: string[] = [];
    for (const r of this.rooms.values()) {
      if (r.wake !== null && r.wake <= now) out.push(r.id);
      if (out.length >= limit) break;
    }
    return out;
  }
  async pushOp(roomId: string, op: DrawOp) {
    let list = this.drawings.get(roomId);
    if (!list) this.drawings.set(roomId, (list = []));
    if (list.length >= MAX_OPS) return false;
    list.push(JSON.stringify(op));
    return true;
  }
  async popOp(roomId: string) {
    return this.drawings.get(roomId)?.pop() !== undefined;
  }
  async clearOps(roomId: string) {
    this.drawings.delete(roomId);
  }
  async ops(roomId: string) {
    return (this.drawings.get(roomId) ?? []).map((s) => JSON.parse(s) as DrawOp);
  }
  async outboxPush(item: string) {
    this.outbox.push(item);
  }
  async outboxPeek(n: number) {
    return this.outbox.slice(0, n);
  }
  async outboxAck(item: string) {
    const i = this.outbox.indexOf(item);
    if (i >= 0) this.outbox.splice(i, 1);
  }
  async outboxSize() {
    return this.outbox.length;
  }
  async heartbeat() {}
  async alive(replicas: readonly string[]) {
    // One process: every socket it knows of is its own.
    return new Set(replicas);
  }
  async ping() {}
  async close() {}
}

const RELEASE = `if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end`;

/**
 * Appends ARGV[3..] to the drawings KEYS[1..], in order. A drawing already at ARGV[1] operations
 * keeps its length (the new one is dropped: 0 in the answer, else 1); each drawing lives as long
 * as a room (ARGV[2] seconds), so one whose room expired without being removed does not stay.
 * One call touches the drawings of several rooms: that needs one Redis (as deployed), not a
 * Redis Cluster, whose keys would sit in different slots.
 */
const PUSH_OPS = `
local max = tonumber(ARGV[1])
local out = {}
for i, key in ipairs(KEYS) do
  if redis.call('rpush', key, ARGV[i + 2]) > max then
    redis.call('rpop', key)
    out[i] = 0
  else
    out[i] = 1
  end
  redis.call('expire', key, ARGV[2])
end
return out`;

interface PendingOp {
  key: string;
  op: string;
  resolve: (stored: boolean) => void;
  reject: (err: unknown) => void;
}

/**
 * Rooms in Redis. `redis` must carry the workload's key prefix (every key below is relative to it);
 * `sub` is a separate connection for the cache-invalidation channel.
 */
export class RedisStore implements Store {
  readonly kind = 'redis' as const;
  private readonly queue = new LocalQueue();
  private readonly cache = new Map<string, RoomRec>();
  private readonly replica = randomBytes(6).toString('hex');
  private readonly channel: string;
  private pendingOps: PendingOp[] = [];
  private opsFlush: NodeJS.Immediate | undefined;

  constructor(
    private readonly redis: Redis,
    private readonly sub: Redis,
    prefix: string,
    private readonly opts: { lockLeaseMs?: number; roomTtlSec?: number } = {},
  ) {
    this.channel = `${prefix}room-changed`;
    void this.sub.subscribe(this.channel).catch(() => undefined);
    this.sub.on('message', (channel: string, message: string) => {
      if (channel !== this.channel) return;
      const [from, roomId] = message.split(' ');
      if (from !== this.replica && roomId) this.cache.delete(roomId);
    });
    // After a reconnect the cache may have missed invalidations.
    this.sub.on('ready', () => this.cache.clear());
  }

  private get leaseMs() {
    return this.opts.lockLeaseMs ?? 5000;
  }

  async withLock<T>(roomId: string, wait: boolean, fn: () => Promise<T>): Promise<T | typeof BUSY> {
    if (!wait && this.queue.busy(roomId)) return BUSY;
    return this.queue.run(roomId, async () => {
      const key = `lock:${roomId}`;
      const token = randomBytes(8).toString('hex');
      const deadline = Date.now() + (wait ? 4000 : 0);
      for (let delay = 5; ; delay = Math.min(delay * 2, 50)) {
        if ((await this.redis.set(key, token, 'PX', this.leaseMs, 'NX')) === 'OK') break;
        if (Date.now() >= deadline) return BUSY;
        await sleep(delay);
      }
      try {
        return await fn();
      } finally {
        await this.redis.eval(RELEASE, 1, key, token).catch(() => undefined);
      }
    });
  }
  async load(roomId: string) {
    const raw = await this.redis.get(`room:${roomId}`);
    if (!raw) {
      this.cache.delete(roomId);
      return null;
    }
    const room = JSON.parse(raw) as RoomRec;
    this.cache.set(roomId, structuredClone(room));
    return room;
  }
  async save(room: RoomRec) {
    const ttl = this.opts.roomTtlSec ?? 86400;
    const m = this.redis
      .multi()
      .set(`room:${room.id}`, JSON.stringify(room), 'EX', ttl)
      .set(`code:${room.code}`, room.id, 'EX', ttl)
      .sadd('rooms', room.id);
    if (room.wake === null) m.zrem('timers', room.id);
    else m.zadd('timers', room.wake, room.id);
    await m.exec();
    this.cache.set(room.id, structuredClone(room));
    await this.redis.publish(this.channel, `${this.replica} ${room.id}`);
  }
  async remove(room: RoomRec) {
    // Queued operations of this room must not land after its drawing is deleted.
    this.flushOps();
    await this.redis
      .multi()
      .del(`room:${room.id}`, `ops:${room.id}`)
      .eval(RELEASE, 1, `code:${room.code}`, room.id)
      .srem('rooms', room.id)
      .zrem('timers', room.id)
      .exec();
    this.cache.delete(room.id);
    await this.redis.publish(this.channel, `${this.replica} ${room.id}`);
  }
  async claimCode(code: string, roomId: string) {
    return (await this.redis.set(`code:${code}`, roomId, 'EX', 86400, 'NX')) === 'OK';
  }
  async findByCode(code: string) {
    return this.redis.get(`code:${code}`);
  }
  peek(roomId: string) {
    return this.cache.get(roomId);
  }
  async allRooms() {
    const ids = await this.redis.smembers('rooms');
    if (!ids.length) return [];
    const raws = await this.redis.mget(ids.map((id) => `room:${id}`));
    const rooms: RoomRec[] = [];
    const gone: string[] = [];
    raws.forEach((raw, i) => (raw ? rooms.push(JSON.parse(raw) as RoomRec) : gone.push(ids[i]!)));
    if (gone.length) await this.redis.srem('rooms', ...gone);
    return rooms;
  }
  async dueRooms(now: number, limit: number) {
    return this.redis.zrangebyscore('timers', '-inf', now, 'LIMIT', 0, limit);
  }
  /**
   * Appends to the drawing. The operations of one event-loop turn go to Redis as one script call
   * (`PUSH_OPS`) at the end of the turn instead of an RPUSH each: with auto-pipelining every
   * stroke read from its own socket still cost a command and a write to Redis. Everything else
   * that touches a drawing sends the queued operations first, on the same connection, so Redis
   * sees them in the order they were made.
   */
  pushOp(roomId: string, op: DrawOp): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.pendingOps.push({ key: `ops:${roomId}`, op: JSON.stringify(op), resolve, reject });
      this.opsFlush ??= setImmediate(() => this.flushOps());
    });
  }
  /** Sends the queued drawing operations now. */
  private flushOps(): void {
    if (this.opsFlush) clearImmediate(this.opsFlush);
    this.opsFlush = undefined;
    const batch = this.pendingOps;
    if (!batch.length) return;
    this.pendingOps = [];
    const ttl = this.opts.roomTtlSec ?? 86400;
    this.redis
      .eval(PUSH_OPS, batch.length, ...batch.map((b) => b.key), MAX_OPS, ttl, ...batch.map((b) => b.op))
      .then(
        (res) => {
          const stored = res as number[];
          batch.forEach((b, i) => b.resolve(stored[i] === 1));
        },
        (err: unknown) => batch.forEach((b) => b.reject(err)),
      );
  }
  async popOp(roomId: string) {
    this.flushOps();
    return (await this.redis.rpop(`ops:${roomId}`)) !== null;
  }
  async clearOps(roomId: string) {
    this.flushOps();
    await this.redis.del(`ops:${roomId}`);
  }
  async ops(roomId: string) {
    this.flushOps();
    return (await this.redis.lrange(`ops:${roomId}`, 0, -1)).map((s) => JSON.parse(s) as DrawOp);
  }
  async outboxPush(item: string) {
    await this.redis.rpush('outbox', item);
  }
  async outboxPeek(n: number) {
    return this.redis.lrange('outbox', 0, n - 1);
  }
  async outboxAck(item: string) {
    await this.redis.lrem('outbox', 1, item);
  }
  async outboxSize() {
    return this.redis.llen('outbox');
  }
  async heartbeat(replica: string, ttlMs: number) {
    await this.redis.set(`replica:${replica}`, '1', 'PX', ttlMs);
  }
  async alive(replicas: readonly string[]) {
    if (!replicas.length) return new Set<string>();
    const found = await this.redis.mget(replicas.map((r) => `replica:${r}`));
    return new Set(replicas.filter((_, i) => found[i] !== null));
  }
  async ping() {
    await this.redis.ping();
  }
  /** Sends what is queued. The connections are the caller's to close (each exactly once). */
  async close() {
    this.flushOps();
  }
}
