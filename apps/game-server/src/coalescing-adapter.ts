import { RedisAdapter, type RedisAdapterOptions } from '@socket.io/redis-adapter';
import type { Redis } from 'ioredis';
import { emitToLocalRoom } from './fast-frames';

type BroadcastOptions = Parameters<RedisAdapter['broadcast']>[1];
type Packet = Parameters<RedisAdapter['broadcast']>[0];
type Namespace = ConstructorParameters<typeof RedisAdapter>[0];
/**
 * One broadcast on the wire: the packet (an object, or for `sendEncodedToOthers` the text Socket.IO
 * encodes it to), its rooms, the rooms it skips, its flags.
 */
type Entry = [packet: Packet | string, rooms: string[], except: string[], flags: BroadcastOptions['flags']];

export interface CoalescingStats {
  /** Broadcasts sent to the other replicas. */
  broadcasts: number;
  /** Redis messages that carried them. */
  messages: number;
}

/** Whether a value holds binary data, which JSON cannot carry (the game's protocol has none). */
function hasBinary(v: unknown, depth = 0): boolean {
  if (v === null || typeof v !== 'object' || depth > 16) return false;
  if (ArrayBuffer.isView(v) || v instanceof ArrayBuffer) return true;
  if (Array.isArray(v)) return v.some((x) => hasBinary(x, depth + 1));
  for (const k in v) if (hasBinary((v as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
}

/**
 * The channel a namespace's batches go on: outside the stock adapter's `<key>#<nsp>#*` pattern,
 * and versioned (`batch2`: encoded draw relays), so that replicas of another format ignore them
 * rather than misread them.
 */
export const batchChannel = (key: string, nsp: string): string => `${key}:batch2#${nsp}#`;

/**
 * The Socket.IO Redis adapter, with the broadcasts of one event-loop turn sent to the other
 * replicas as one Redis message (JSON) instead of one PUBLISH (msgpack) each.
 *
 * With the stock adapter every relayed stroke cost a msgpack encode, an ioredis command and a
 * PUBLISH on the sending replica, and a decode on each receiver; under the benchmark's load that
 * was about a third of a replica's allocations. Here a broadcast is delivered to this replica's
 * sockets at once, as before, and queued; the queue goes out at the end of the turn
 * (`setImmediate`), in order, on the adapter's publishing connection.
 *
 * Order is kept: everything else this adapter publishes (acked broadcasts, remote joins, leaves
 * and disconnects, server-side emits) first sends what is queued, on the same connection, and the
 * receivers read both from one subscriber connection. A packet with binary data falls back to
 * the stock path, after the queue.
 *
 * The game's draw relays (`sendEncodedToOthers`) travel as the packet text Socket.IO would send to
 * a client: the receiver writes it to its sockets as it is, without building the packet's objects
 * and encoding them again.
 *
 * Replicas of releases with another batch format (the channel name carries its version) do not
 * read this one: a room shared between old and new replicas during a rollout misses relays
 * between them.
 */
export class CoalescingRedisAdapter extends RedisAdapter {
  private readonly batchChannel: string;
  /** Queued broadcasts, each already JSON (encoded when made, as the stock adapter does). */
  private pending: string[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly onBatchMessage: (channel: Buffer, message: Buffer) => void;

  constructor(
    nsp: Namespace,
    pub: Redis,
    sub: Redis,
    opts: Partial<RedisAdapterOptions> & { key: string },
    private readonly stats: CoalescingStats,
  ) {
    super(nsp, pub, sub, opts);
    this.batchChannel = batchChannel(opts.key, nsp.name);
    // Every replica subscribes to the channel it publishes on, so it gets its own batches back:
    // those are known by their first bytes and dropped before they are parsed.
    const own = Buffer.from(`[${JSON.stringify(this.uid)},`);
    this.onBatchMessage = (channel, message) => {
      if (channel.toString() !== this.batchChannel) return;
      if (message.length >= own.length && message.compare(own, 0, own.length, 0, own.length) === 0) return;
      this.receive(message);
    };
    void sub.subscribe(this.batchChannel).catch(() => undefined);
    sub.on('messageBuffer', this.onBatchMessage);
  }

  override broadcast(packet: Packet, opts: BroadcastOptions): void {
    if (opts.flags?.local) return super.broadcast(packet, opts);
    if (hasBinary(packet)) {
      this.flush();
      return super.broadcast(packet, opts);
    }
    packet.nsp = this.nsp.name;
    const entry: Entry = [packet, [...opts.rooms], [...(opts.except ?? [])], opts.flags];
    this.queue(JSON.stringify(entry));
    super.broadcast(packet, { ...opts, flags: { ...opts.flags, local: true } });
  }

  /**
   * Queues, for the other replicas only, an event packet for the default namespace already
   * encoded as Socket.IO sends it to a client (`eventPacket`), for everyone in `room` but the
   * socket `except`. The caller delivers it to this replica's sockets itself.
   */
  sendEncodedToOthers(encoded: string, room: string, except: string): void {
    if (this.nsp.name !== '/') throw new Error('encoded packets are for the default namespace only');
    this.queue(`[${JSON.stringify(encoded)},[${JSON.stringify(room)}],[${JSON.stringify(except)}],{}]`);
  }

  private queue(entry: string): void {
    this.pending.push(entry);
    this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Sends the queued broadcasts now, as one message. */
  flush(): void {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    if (!this.pending.length) return;
    const entries = this.pending;
    this.pending = [];
    this.stats.broadcasts += entries.length;
    this.stats.messages++;
    const message = `[${JSON.stringify(this.uid)},[${entries.join(',')}]]`;
    (this.pubClient as Redis).publish(this.batchChannel, message).catch(() => {
      // A broken connection is the Redis client's to report (it logs and reconnects); a relay
      // lost with it is what the stock adapter loses too.
    });
  }

  private receive(message: Buffer): void {
    let uid: unknown;
    let entries: unknown;
    try {
      [uid, entries] = JSON.parse(message.toString()) as [unknown, unknown];
    } catch {
      return;
    }
    if (uid === this.uid || !Array.isArray(entries)) return;
    for (const e of entries as unknown[]) {
      if (!Array.isArray(e) || e.length !== 4) continue;
      const [packet, rooms, except, flags] = e as Entry;
      if (!packet || !Array.isArray(rooms) || !Array.isArray(except)) continue;
      if (typeof packet === 'string') {
        // An encoded draw relay: one room, one skipped socket.
        const [room] = rooms;
        const [skip] = except;
        if (this.nsp.name === '/' && rooms.length === 1 && except.length === 1 && typeof room === 'string')
          emitToLocalRoom(this.nsp, room, String(skip), packet);
        continue;
      }
      if (packet.nsp !== this.nsp.name) continue;
      // Nobody here in any of its rooms: nothing to deliver.
      if (rooms.length && !rooms.some((r) => this.rooms.has(r))) continue;
      super.broadcast(packet, {
        rooms: new Set(rooms),
        except: new Set(except),
        flags: { ...flags, local: true },
      });
    }
  }

  override broadcastWithAck(...args: Parameters<RedisAdapter['broadcastWithAck']>): void {
    this.flush();
    super.broadcastWithAck(...args);
  }
  override addSockets(opts: BroadcastOptions, rooms: string[]): void {
    this.flush();
    super.addSockets(opts, rooms);
  }
  override delSockets(opts: BroadcastOptions, rooms: string[]): void {
    this.flush();
    super.delSockets(opts, rooms);
  }
  override disconnectSockets(opts: BroadcastOptions, close: boolean): void {
    this.flush();
    super.disconnectSockets(opts, close);
  }
  override serverSideEmit(packet: unknown[]): void {
    this.flush();
    super.serverSideEmit(packet);
  }
  override close(): Promise<void> | void {
    this.flush();
    (this.subClient as Redis).off('messageBuffer', this.onBatchMessage);
    void (this.subClient as Redis).unsubscribe(this.batchChannel).catch(() => undefined);
    return super.close();
  }
}

/** The adapter factory for `io.adapter(...)`, with counters of what it sent. */
export function createCoalescingAdapter(
  pub: Redis,
  sub: Redis,
  opts: Partial<RedisAdapterOptions> & { key: string },
): { adapter: (nsp: Namespace) => CoalescingRedisAdapter; stats: CoalescingStats } {
  const stats: CoalescingStats = { broadcasts: 0, messages: 0 };
  // Socket.IO calls the factory with `new`, so it is a function, not an arrow.
  const adapter = function (nsp: Namespace) {
    return new CoalescingRedisAdapter(nsp, pub, sub, opts, stats);
  };
  return { adapter, stats };
}
