import type { Server as HttpServer } from 'node:http';
import {
  ackError,
  ackOk,
  clientSchemas,
  LIMITS,
  resolveSettings,
  type Ack,
  type ClientEventName,
  type ClientToServerEvents,
  type DrawOp,
  type ErrorCode,
  type Fill,
  type RoomSettings,
  type ServerToClientEvents,
  type Stroke,
} from '@hybrid/game-protocol';
import type { Logger } from '@hybrid/service-kit';
import { Counter, Gauge, type Registry } from 'prom-client';
import { Server, type Namespace, type Socket } from 'socket.io';
import {
  advance,
  chooseWord,
  disconnectPlayer,
  findPlayer,
  guess,
  newCode,
  newId,
  newPlayer,
  newRoom,
  removePlayer,
  startGame,
  stateFor,
  updateWake,
  connectedPlayers,
  type Effect,
  type Timing,
} from './game';
import { insidersChannel, playerChannel, roomChannel, type PlayerRec, type RoomRec } from './model';
import { socketBuckets, type LimitKind, type RateLimits, type TokenBucket } from './rate-limit';
import type { Results } from './results';
import { CoalescingRedisAdapter, type CoalescingStats } from './coalescing-adapter';
import { releaseHandshakeRequests } from './engine-memory';
import { interceptEvents, sendAck, type EventHandler } from './event-fast-path';
import { emitToLocalRoom, eventPacket, writeFramesDirectly, type FastFrameStats } from './fast-frames';
import { BUSY, type Store } from './store';

interface SocketData {
  roomId?: string | undefined;
  playerId?: string | undefined;
  buckets: Record<LimitKind, TokenBucket>;
  /** This socket's draw events waiting on a fresh read of the room, in the order they came. */
  drawQueue?: Promise<void> | undefined;
  /** The socket's room:create, room:join and room:leave, one after another (see `membership`). */
  membership?: Promise<void> | undefined;
}

type GameIo = Server<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type GameSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type AnyAck = (res: Ack<unknown>) => void;
type Handler = (socket: GameSocket, input: unknown, ack: AnyAck) => Promise<void> | void;
type CreateInput = { nickname: string; settings?: Partial<RoomSettings> };
type JoinInput = { code: string; nickname: string; sessionToken?: string };
type DrawEvent = 'draw:stroke' | 'draw:fill' | 'draw:undo' | 'draw:clear';

export interface GameServerOptions {
  readonly store: Store;
  readonly results: Results;
  readonly log: Logger;
  readonly timing: Timing;
  readonly limits: RateLimits;
  /** Allowed browser origins; `*` allows any. Requests without an Origin header are not browsers and pass. */
  readonly corsOrigins: readonly string[];
  /** Socket.IO adapter factory (the Redis adapter with several replicas). */
  readonly adapter?: Parameters<GameIo['adapter']>[0];
  /** What the adapter sent to the other replicas (broadcasts, and the Redis messages carrying them). */
  readonly relayStats?: CoalescingStats;
  readonly tickMs?: number;
  /** Work that shutdown waits for (disconnects being recorded). */
  readonly inflight?: { track<T>(p: Promise<T>): Promise<T> };
  /** Where the game's own metrics go (the registry behind GET /metrics). */
  readonly metrics?: Registry;
}

interface Outcome<T> {
  readonly res: Ack<T>;
  /** Runs after the room is saved, before the ack (joining channels). */
  readonly before?: () => void;
  /** Runs after the ack and the effects (sending the joiner the drawing). */
  readonly after?: () => Promise<void> | void;
}

/** How often a replica heartbeats; one missing for 3 periods is dead. */
const PRESENCE_MS = 2000;
/** Kick bans kept per room (the oldest go first). */
const MAX_BANS = 64;

/**
 * The address a socket connects from: the TCP peer. The game's LoadBalancer Service keeps it
 * (externalTrafficPolicy Local); IPv4 seen through an IPv6 socket is written as plain IPv4.
 */
function clientAddress(socket: GameSocket): string {
  const a = socket.handshake.address ?? '';
  return a.startsWith('::ffff:') && a.includes('.') ? a.slice(7) : a;
}

const fail = (code: ErrorCode, message: string): Outcome<never> => ({ res: ackError(code, message) });
const done = <T>(data: T, extra: Omit<Outcome<T>, 'res'> = {}): Outcome<T> => ({
  res: ackOk(data),
  ...extra,
});

const DRAW_EVENTS = new Set<string>(['draw:stroke', 'draw:fill', 'draw:undo', 'draw:clear']);
/** Marks an event refused before its handler (rate limited or invalid); the ack is sent. */
const REFUSED = Symbol('refused');

const EVENT_LIMIT: Record<ClientEventName, LimitKind> = {
  'room:create': 'room',
  'room:join': 'room',
  'room:leave': 'room',
  'game:start': 'room',
  'word:choose': 'room',
  'draw:stroke': 'draw',
  'draw:fill': 'draw',
  'draw:undo': 'draw',
  'draw:clear': 'draw',
  'chat:send': 'chat',
  'kick:vote': 'room',
};

export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  return allowed.includes('*') || allowed.includes(origin);
}

/** A counter per key of `read()`, which returns running totals kept outside prom-client. */
function countersFrom(
  name: string,
  help: string,
  label: string,
  read: () => Record<string, number>,
  registers: Registry[],
): void {
  const counted: Record<string, number> = {};
  new Counter({
    name,
    help,
    labelNames: [label],
    registers,
    collect() {
      for (const [key, now] of Object.entries(read())) {
        this.inc({ [label]: key }, now - (counted[key] ?? 0));
        counted[key] = now;
      }
    },
  });
}

/** A listener for any socket: Socket.IO calls a socket's listeners with the socket as `this`. */
function sharedListener<A extends unknown[]>(fn: (socket: GameSocket, ...args: A) => void) {
  return function (this: GameSocket, ...args: A): void {
    fn(this, ...args);
  };
}

/** The Socket.IO side of the game: validation, rate limits, room actions, timers. */
export class GameServer {
  readonly io: GameIo;
  private tick: NodeJS.Timeout | undefined;
  private presence: NodeJS.Timeout | undefined;
  /** Turns (`room:turnStartedAt`) whose drawing is full. */
  private readonly fullDrawings = new Set<string>();
  /** How many undos and clears each turn has had (only turns that had one). */
  private readonly drawingResets = new Map<string, number>();
  /** This process, as written on the players whose sockets it holds. */
  readonly replica = newId(6);
  private ticking = false;
  private readonly store: Store;
  private readonly t: Timing;
  /** How many broadcast frames skipped Engine.IO's per-recipient packet handling. */
  fastFrames: FastFrameStats;
  /** Draw events taken straight from Engine.IO (see `onWireDraw`). */
  private readonly fastEvents: ReturnType<typeof interceptEvents>;
  /** Draw events that read the room fresh before going out (see `draw`). */
  private readonly drawRoomReads = { missing: 0, stale: 0, queued: 0 };
  /** Client events by name and outcome (`ok` or the error code): a bounded label set. */
  private readonly events: Counter<'event' | 'outcome'> | undefined;
  /**
   * Events answered `ok`, by event, added to `game_client_events_total` when it is read: a labelled
   * prom-client increment hashes its labels each time, and every stroke is one.
   */
  private readonly okCounts = new Map<ClientEventName, number>();

  constructor(
    http: HttpServer,
    private readonly opts: GameServerOptions,
  ) {
    this.store = opts.store;
    this.t = opts.timing;
    if (opts.metrics) {
      const registers = [opts.metrics];
      const okCounts = this.okCounts;
      const okCounted = new Map<ClientEventName, number>();
      this.events = new Counter({
        name: 'game_client_events_total',
        help: 'Client events handled, by event and outcome (ok or the error code)',
        labelNames: ['event', 'outcome'] as const,
        registers,
        collect() {
          for (const [event, n] of okCounts) {
            const since = n - (okCounted.get(event) ?? 0);
            if (since > 0) this.inc({ event, outcome: 'ok' }, since);
            okCounted.set(event, n);
          }
        },
      });
      const sockets = () => this.localSockets();
      const store = this.store;
      new Gauge({
        name: 'game_sockets',
        help: 'Socket.IO connections held by this replica',
        registers,
        collect() {
          this.set(sockets());
        },
      });
      countersFrom(
        'game_frames_direct_total',
        'Frames written straight to a WebSocket, skipping Engine.IO packet handling, by kind (broadcast relays; single: acks and direct emits)',
        'kind',
        () => ({ broadcast: this.fastFrames.direct, single: this.fastFrames.directSingle }),
        registers,
      );
      countersFrom(
        'game_events_fast_total',
        "Client events handled as they came off the wire, skipping Socket.IO's decoder and dispatch, by kind (draw events)",
        'kind',
        () => ({ draw: this.fastEvents.stats.intercepted }),
        registers,
      );
      countersFrom(
        'game_draw_room_reads_total',
        "Draw events that waited for a fresh read of the room, by cause (this replica's copy was missing or showed another drawer or phase; or queued behind an earlier event that waited)",
        'cause',
        () => ({ ...this.drawRoomReads }),
        registers,
      );
      const relay = opts.relayStats;
      if (relay)
        countersFrom(
          'game_relay_total',
          'Broadcasts sent to the other replicas, and the Redis messages that carried them (one per event-loop turn)',
          'kind',
          () => ({ broadcasts: relay.broadcasts, messages: relay.messages }),
          registers,
        );
      new Gauge({
        name: 'game_rooms',
        help: 'Rooms in play (shared by every replica), by phase',
        labelNames: ['phase'] as const,
        registers,
        async collect() {
          const rooms = await store.allRooms();
          this.reset();
          for (const r of rooms) this.inc({ phase: r.phase });
        },
      });
    }
    this.io = new Server(http, {
      maxHttpBufferSize: LIMITS.maxPayloadBytes,
      cors: {
        origin: (origin, cb) => cb(null, originAllowed(origin, opts.corsOrigins)),
        credentials: true,
      },
      allowRequest: (req, cb) => {
        const ok = originAllowed(req.headers.origin, opts.corsOrigins);
        cb(ok ? null : 'origin not allowed', ok);
      },
      pingInterval: 10000,
      pingTimeout: 8000,
      serveClient: false,
    });
    if (opts.adapter) this.io.adapter(opts.adapter);
    releaseHandshakeRequests(this.io);
    this.fastFrames = writeFramesDirectly(this.io);
    this.fastEvents = interceptEvents(this.io as unknown as Server, 'draw:', this.onWireDraw);
    this.io.on('connection', (socket) => this.onConnection(socket));
  }

  start(): void {
    const every = this.opts.tickMs ?? 50;
    const loop = () => {
      void this.runTimers().finally(() => {
        if (this.tick) this.tick = setTimeout(loop, every);
      });
    };
    this.tick = setTimeout(loop, every);
    const beat = () => {
      void this.sweepPresence().finally(() => {
        if (this.presence) this.presence = setTimeout(beat, PRESENCE_MS);
      });
    };
    this.presence = setTimeout(beat, 0);
  }

  /**
   * Heartbeats this replica, then marks away the players whose socket lives on a replica that
   * stopped heartbeating (killed without a chance to record their disconnects): their grace
   * period starts, and they are removed if they do not rejoin.
   */
  private async sweepPresence(): Promise<void> {
    try {
      await this.store.heartbeat(this.replica, PRESENCE_MS * 3);
      if (this.store.kind === 'memory') return;
      const rooms = await this.store.allRooms();
      const others = new Set<string>();
      for (const r of rooms)
        for (const p of r.players)
          if (p.connected && p.replica && p.replica !== this.replica) others.add(p.replica);
      if (!others.size) return;
      const alive = await this.store.alive([...others]);
      for (const r of rooms) {
        const gone = r.players.filter(
          (p) => p.connected && p.replica && !alive.has(p.replica) && p.replica !== this.replica,
        );
        if (!gone.length) continue;
        await this.mutate(
          r.id,
          () => undefined,
          (room, fx, now) => {
            for (const g of gone) {
              const p = findPlayer(room, g.id);
              if (p && p.connected && p.socketId === g.socketId) disconnectPlayer(room, p, now, this.t, fx);
            }
            return fx.length ? done(null) : fail('NOT_FOUND', 'nothing to do');
          },
        );
      }
    } catch (err) {
      this.opts.log.warn({ err }, 'presence sweep failed');
    }
  }

  async close(): Promise<void> {
    if (this.tick) clearTimeout(this.tick);
    this.tick = undefined;
    if (this.presence) clearTimeout(this.presence);
    this.presence = undefined;
    // The HTTP server belongs to fastify, which closes it; this closes the engine's transports.
    // Closing the connections, not disconnecting the sockets: a client told "io server disconnect"
    // does not reconnect on its own, while one whose transport closed reconnects (to a live
    // replica) and rejoins with its sessionToken.
    this.io.engine.close();
  }

  localSockets(): number {
    return this.io.of('/').sockets.size;
  }

  // ---- connection and dispatch ----

  /** The handler of each client event. */
  private readonly handlers: Record<ClientEventName, Handler> = {
    'room:create': (s, i, ack) => this.membership(s, () => this.create(s, i as CreateInput, ack)),
    'room:join': (s, i, ack) => this.membership(s, () => this.join(s, i as JoinInput, ack)),
    'room:leave': (s, _i, ack) => this.membership(s, () => this.leave(s, ack)),
    'game:start': (s, _i, ack) => this.startGame(s, ack),
    'word:choose': (s, i, ack) => this.choose(s, i as { index: number }, ack),
    'draw:stroke': (s, i, ack) => this.draw(s, 'draw:stroke', i, ack),
    'draw:fill': (s, i, ack) => this.draw(s, 'draw:fill', i, ack),
    'draw:undo': (s, _i, ack) => this.draw(s, 'draw:undo', {}, ack),
    'draw:clear': (s, _i, ack) => this.draw(s, 'draw:clear', {}, ack),
    'chat:send': (s, i, ack) => this.chat(s, i as { text: string }, ack),
    'kick:vote': (s, i, ack) => this.kick(s, i as { playerId: string }, ack),
  };

  /**
   * A draw event, straight off the wire (`interceptEvents`): the same checks, ack and
   * relay as through Socket.IO, in the same turn. Every draw event a client sends (with an ack or
   * without) takes this path, so a drawer's strokes, fills, undos and clears keep their order.
   */
  private readonly onWireDraw: EventHandler = (s, { name, payload, ackId }) => {
    if (!DRAW_EVENTS.has(name)) return false;
    const socket = s as unknown as GameSocket;
    const event = name as DrawEvent;
    const ack = this.countedAck(event, (res) => sendAck(s, ackId, res));
    try {
      const value = this.admit(socket, event, payload, ack);
      if (value !== REFUSED) this.handlers[event](socket, value, ack);
    } catch (err) {
      this.failed(err, event, ack);
    }
    return true;
  };

  /**
   * The two listeners every socket shares. Socket.IO calls a socket's listeners with the socket as
   * `this`, so a connection costs no closures of its own: a listener per event and socket (as
   * `socket.on` per event would need) came to about 2.5 KB of heap per connection.
   */
  private readonly onSocketEvent = sharedListener((socket, event: unknown, ...args: unknown[]) => {
    if (typeof event === 'string' && Object.hasOwn(this.handlers, event)) {
      const name = event as ClientEventName;
      void this.dispatch(socket, name, args, this.handlers[name]);
      return;
    }
    const ack = args[args.length - 1];
    if (typeof ack === 'function') safeAck(ack as AnyAck, ackError('INVALID_PAYLOAD', 'unknown event'));
  });
  private readonly onSocketGone = sharedListener((socket) => {
    const work = this.onDisconnect(socket);
    void (this.opts.inflight ? this.opts.inflight.track(work) : work);
  });

  private onConnection(socket: GameSocket): void {
    socket.data = { buckets: socketBuckets(this.opts.limits) };
    socket.onAny(this.onSocketEvent);
    socket.on('disconnect', this.onSocketGone);
    this.fastEvents.attach(socket as unknown as Socket);
  }

  /** An event whose handling threw: logged, and answered so the client can try again. */
  private failed(err: unknown, event: ClientEventName, ack: AnyAck): void {
    this.opts.log.error({ err, event }, 'event failed');
    ack(ackError('BAD_STATE', 'the server could not handle this event; try again'));
  }

  /** An ack that also counts the event's outcome; a second call is ignored. */
  private countedAck(event: ClientEventName, send: AnyAck): AnyAck {
    let acked = false;
    return (res) => {
      if (acked) return;
      acked = true;
      if (this.events) {
        if (!res.ok) this.events.inc({ event, outcome: res.error.code });
        else this.okCounts.set(event, (this.okCounts.get(event) ?? 0) + 1);
      }
      safeAck(send, res);
    };
  }

  /** The event's rate limit, then its payload: the validated payload, or REFUSED once acked. */
  private admit(socket: GameSocket, event: ClientEventName, raw: unknown, ack: AnyAck): unknown {
    const kind = EVENT_LIMIT[event];
    if (!socket.data.buckets[kind].take()) {
      ack(ackError('RATE_LIMITED', `too many ${kind} events; slow down`));
      return REFUSED;
    }
    const validate = clientSchemas[event] as (x: unknown) => {
      ok: boolean;
      value?: unknown;
      message?: string;
    };
    const parsed = validate(raw === undefined ? {} : raw);
    if (parsed.ok) return parsed.value;
    ack(ackError('INVALID_PAYLOAD', parsed.message ?? 'invalid payload'));
    return REFUSED;
  }

  private async dispatch(
    socket: GameSocket,
    event: ClientEventName,
    args: unknown[],
    fn: Handler,
  ): Promise<void> {
    const last = args[args.length - 1];
    const ack = this.countedAck(event, typeof last === 'function' ? (last as AnyAck) : () => undefined);
    try {
      const value = this.admit(socket, event, typeof args[0] === 'function' ? undefined : args[0], ack);
      if (value !== REFUSED) await fn(socket, value, ack);
    } catch (err) {
      this.failed(err, event, ack);
    }
  }

  /**
   * Loads the room under its lock, applies `fn`, saves, acks, then carries out the effects (ack
   * first, then broadcast), all before the lock is released so that rooms change in order.
   */
  private async mutate<T>(
    roomId: string,
    ack: AnyAck,
    fn: (room: RoomRec, fx: Effect[], now: number) => Outcome<T>,
  ): Promise<void> {
    const r = await this.store.withLock(roomId, true, async () => {
      const room = await this.store.load(roomId);
      if (!room) return ack(ackError('NOT_FOUND', 'room not found'));
      const fx: Effect[] = [];
      const now = Date.now();
      const outcome = fn(room, fx, now);
      if (outcome.res.ok || fx.length) {
        await this.commit(room, fx);
        outcome.before?.();
      }
      ack(outcome.res);
      await this.effects(room, fx);
      await outcome.after?.();
    });
    if (r === BUSY) ack(ackError('BAD_STATE', 'the room is busy; try again'));
  }

  private async commit(room: RoomRec, fx: Effect[]): Promise<void> {
    if (fx.some((e) => e.t === 'room-deleted')) await this.store.remove(room);
    else {
      room.version += 1;
      await this.store.save(room);
    }
  }

  private async effects(room: RoomRec, fx: readonly Effect[]): Promise<void> {
    const lastState = fx.map((e) => e.t).lastIndexOf('state');
    const io = this.io as unknown as Server;
    for (let i = 0; i < fx.length; i++) {
      const e = fx[i]!;
      switch (e.t) {
        case 'state':
          if (i === lastState) this.broadcastState(room);
          break;
        case 'room': {
          const to = io.to(e.insiders ? insidersChannel(room.id) : roomChannel(room.id));
          (e.except?.length ? to.except(e.except.map(playerChannel)) : to).emit(e.event, e.payload);
          break;
        }
        case 'player':
          io.to(playerChannel(e.playerId)).emit(e.event, e.payload);
          break;
        case 'insiders-join':
          io.in(playerChannel(e.playerId)).socketsJoin(insidersChannel(room.id));
          break;
        case 'insiders-reset':
          io.in(insidersChannel(room.id)).socketsLeave(insidersChannel(room.id));
          break;
        case 'drawing-clear':
          await this.store.clearOps(room.id);
          break;
        case 'result':
          await this.opts.results.record(e.result);
          break;
        case 'detach':
          io.in(playerChannel(e.playerId)).socketsLeave([
            roomChannel(room.id),
            insidersChannel(room.id),
            playerChannel(e.playerId),
          ]);
          break;
        case 'room-deleted':
          io.in(roomChannel(room.id)).socketsLeave([roomChannel(room.id), insidersChannel(room.id)]);
          break;
      }
    }
  }

  private broadcastState(room: RoomRec): void {
    const drawer = room.phase === 'drawing' ? room.drawerId : null;
    const all = this.io.to(roomChannel(room.id));
    (drawer ? all.except(playerChannel(drawer)) : all).emit('room:state', stateFor(room, null));
    if (drawer) this.io.to(playerChannel(drawer)).emit('room:state', stateFor(room, drawer));
  }

  // ---- room membership ----

  /**
   * Runs a socket's create, join and leave one at a time, in the order sent. Each reads the
   * socket's current seat before it awaits; two joins sent back to back would otherwise both take
   * a seat, and the socket's disconnect would free only the last one (a seat shown connected for
   * good). The disconnect waits for them too. The room-event rate limit bounds the chain.
   */
  private membership(socket: GameSocket, work: () => Promise<void>): Promise<void> {
    const run = (socket.data.membership ?? Promise.resolve()).then(work);
    const settled = run.catch(() => undefined);
    socket.data.membership = settled;
    void settled.then(() => {
      if (socket.data.membership === settled) socket.data.membership = undefined;
    });
    return run;
  }

  private async create(socket: GameSocket, input: CreateInput, ack: AnyAck): Promise<void> {
    const settings = resolveSettings(input.settings);
    if (settings.customWordsOnly && settings.customWords.length === 0)
      return ack(
        ackError('INVALID_PAYLOAD', 'settings.customWords must not be empty when customWordsOnly is true'),
      );
    const id = newId();
    let code = newCode();
    for (let i = 0; !(await this.store.claimCode(code, id)); i++) {
      if (i > 10) return ack(ackError('BAD_STATE', 'could not allocate a room code; try again'));
      code = newCode();
    }
    // Only once the new room is certain: a create that fails keeps the player where they are.
    await this.leaveCurrent(socket);
    const now = Date.now();
    const host = newPlayer(input.nickname, now, socket.id);
    host.replica = this.replica;
    host.addr = clientAddress(socket);
    const room = newRoom({ id, code, host, settings, now });
    await this.store.save(room);
    this.attach(socket, room, host);
    ack(ackOk({ roomId: id, code, playerId: host.id, sessionToken: host.sessionToken }));
    this.broadcastState(room);
  }

  private attach(socket: GameSocket, room: RoomRec, player: PlayerRec): void {
    socket.data.roomId = room.id;
    socket.data.playerId = player.id;
    const channels = [roomChannel(room.id), playerChannel(player.id)];
    if (room.phase === 'drawing' && (player.guessed || room.drawerId === player.id))
      channels.push(insidersChannel(room.id));
    void socket.join(channels);
  }

  private async join(socket: GameSocket, input: JoinInput, ack: AnyAck): Promise<void> {
    const code = input.code.toUpperCase();
    const roomId = await this.store.findByCode(code);
    if (!roomId) return ack(ackError('NOT_FOUND', `no room with code ${code}`));
    if (socket.data.roomId && socket.data.roomId !== roomId) {
      // A join that will be refused keeps the player in their current room (and game).
      const refusal = this.joinRefusal(await this.store.load(roomId), socket, input);
      if (refusal) return ack(refusal);
      await this.leaveCurrent(socket);
    }
    await this.mutate(roomId, ack, (room, fx, now) => {
      let player = input.sessionToken
        ? room.players.find((p) => p.sessionToken === input.sessionToken)
        : socket.data.roomId === room.id
          ? findPlayer(room, socket.data.playerId)
          : undefined;
      let replaced: string | null = null;
      if (player) {
        replaced = player.socketId !== socket.id ? player.socketId : null;
        player.connected = true;
        player.socketId = socket.id;
        player.replica = this.replica;
        player.addr = clientAddress(socket);
        player.disconnectedAt = null;
        if (!connectedPlayers(room).some((p) => p.id === room.hostId)) room.hostId = player.id;
      } else {
        const refusal = this.joinRefusal(room, socket, input);
        if (refusal) return { res: refusal };
        const addr = clientAddress(socket);
        player = newPlayer(input.nickname, now, socket.id);
        player.replica = this.replica;
        player.addr = addr;
        room.players.push(player);
        if (room.phase === 'choosing' || room.phase === 'drawing' || room.phase === 'turn-end')
          room.queue.push(player.id);
      }
      // This socket was another player of this room: that player is now away (one socket, one seat).
      const previous = socket.data.roomId === room.id ? findPlayer(room, socket.data.playerId) : undefined;
      if (previous && previous !== player && previous.socketId === socket.id)
        disconnectPlayer(room, previous, now, this.t, fx);
      updateWake(room, this.t);
      fx.push({ t: 'state' });
      const p = player;
      return done(
        { roomId: room.id, playerId: p.id, sessionToken: p.sessionToken, state: stateFor(room, p.id) },
        {
          before: () => {
            if (replaced) this.io.in(replaced).disconnectSockets(true);
            if (previous && previous !== p) {
              void socket.leave(playerChannel(previous.id));
              void socket.leave(insidersChannel(room.id));
            }
            this.attach(socket, room, p);
          },
          after: async () => {
            if (room.phase === 'drawing') socket.emit('draw:sync', { ops: await this.store.ops(room.id) });
            if (room.phase === 'choosing' && room.drawerId === p.id)
              socket.emit('word:choices', { words: room.choices });
          },
        },
      );
    });
  }

  /** Why `socket` may not take a new seat in `room` with `input`, if it may not. */
  private joinRefusal(
    room: RoomRec | null | undefined,
    socket: GameSocket,
    input: JoinInput,
  ): Ack<never> | undefined {
    if (!room) return ackError('NOT_FOUND', 'room not found');
    if (input.sessionToken && room.players.some((p) => p.sessionToken === input.sessionToken))
      return undefined;
    if (room.bans?.includes(clientAddress(socket)))
      return ackError('BAD_STATE', 'you were voted out of this room');
    if (room.players.length >= room.settings.maxPlayers)
      return ackError('ROOM_FULL', `the room is full (${room.settings.maxPlayers} players)`);
    return undefined;
  }

  private async leaveCurrent(socket: GameSocket): Promise<void> {
    const { roomId, playerId } = socket.data;
    if (!roomId || !playerId) return;
    await this.mutate(
      roomId,
      () => undefined,
      (room, fx, now) => {
        const p = findPlayer(room, playerId);
        if (!p || p.socketId !== socket.id) return fail('NOT_FOUND', 'not in this room');
        removePlayer(room, playerId, now, this.t, fx);
        return done(null);
      },
    );
    void socket.leave(roomChannel(roomId));
    void socket.leave(insidersChannel(roomId));
    void socket.leave(playerChannel(playerId));
    socket.data.roomId = undefined;
    socket.data.playerId = undefined;
  }

  private async leave(socket: GameSocket, ack: AnyAck): Promise<void> {
    if (!socket.data.roomId) return ack(ackError('BAD_STATE', 'not in a room'));
    await this.leaveCurrent(socket);
    ack(ackOk(null));
  }

  private async onDisconnect(socket: GameSocket): Promise<void> {
    await socket.data.membership;
    const { roomId, playerId } = socket.data;
    if (!roomId || !playerId) return;
    try {
      await this.mutate(
        roomId,
        () => undefined,
        (room, fx, now) => {
          const p = findPlayer(room, playerId);
          if (!p || p.socketId !== socket.id) return fail('NOT_FOUND', 'stale socket');
          disconnectPlayer(room, p, now, this.t, fx);
          return done(null);
        },
      );
    } catch (err) {
      this.opts.log.warn({ err, roomId }, 'could not record a disconnect');
    }
  }

  // ---- game actions ----

  /** The socket's room and player, or an error acked. */
  private where(socket: GameSocket, ack: AnyAck): { roomId: string; playerId: string } | null {
    const { roomId, playerId } = socket.data;
    if (roomId && playerId) return { roomId, playerId };
    ack(ackError('BAD_STATE', 'join a room first'));
    return null;
  }

  private async startGame(socket: GameSocket, ack: AnyAck): Promise<void> {
    const at = this.where(socket, ack);
    if (!at) return;
    await this.mutate(at.roomId, ack, (room, fx, now) => {
      if (!findPlayer(room, at.playerId)) return fail('NOT_FOUND', 'you are not in this room');
      if (room.hostId !== at.playerId) return fail('NOT_HOST', 'only the host can start the game');
      if (room.phase !== 'lobby' && room.phase !== 'game-end')
        return fail('BAD_STATE', 'a game is already running');
      if (connectedPlayers(room).length < 2)
        return fail('BAD_STATE', 'at least 2 connected players are needed');
      startGame(room, now, this.t, fx);
      return done(null);
    });
  }

  private async choose(socket: GameSocket, input: { index: number }, ack: AnyAck): Promise<void> {
    const at = this.where(socket, ack);
    if (!at) return;
    await this.mutate(at.roomId, ack, (room, fx, now) => {
      if (!findPlayer(room, at.playerId)) return fail('NOT_FOUND', 'you are not in this room');
      if (room.drawerId !== at.playerId) return fail('NOT_DRAWER', 'only the drawer chooses the word');
      if (room.phase !== 'choosing') return fail('BAD_STATE', 'not choosing a word now');
      if (input.index >= room.choices.length)
        return fail('INVALID_PAYLOAD', `index must be below ${room.choices.length}`);
      return done({ word: chooseWord(room, input.index, now, this.t, fx) });
    });
  }

  /** The room, when this replica's copy of it shows `playerId` drawing: no waiting. */
  private drawingRoom(roomId: string, playerId: string): RoomRec | undefined {
    const room = this.store.peek(roomId);
    return room && room.drawerId === playerId && room.phase === 'drawing' ? room : undefined;
  }

  /**
   * A draw event, validated. Relayed and acked in this turn when this replica's copy of the room
   * shows the sender drawing. Otherwise (no copy, or one that may lag a turn change made by
   * another replica) the room is read fresh first; the socket's later draw events queue behind
   * that read, so the others see them in the order they were drawn.
   */
  private draw(socket: GameSocket, event: DrawEvent, input: unknown, ack: AnyAck): void {
    const at = this.where(socket, ack);
    if (!at) return;
    const queued = socket.data.drawQueue;
    const room = queued ? undefined : this.drawingRoom(at.roomId, at.playerId);
    if (room) return this.applyDraw(socket, event, input, at.playerId, room, ack);
    this.drawRoomReads[queued ? 'queued' : this.store.peek(at.roomId) ? 'stale' : 'missing']++;
    const next = (queued ?? Promise.resolve())
      .then(async () => {
        const fresh = await this.store.load(at.roomId);
        if (!fresh) return ack(ackError('NOT_FOUND', 'room not found'));
        if (!findPlayer(fresh, at.playerId)) return ack(ackError('NOT_FOUND', 'you are not in this room'));
        if (fresh.drawerId !== at.playerId) return ack(ackError('NOT_DRAWER', 'only the drawer draws'));
        if (fresh.phase !== 'drawing') return ack(ackError('BAD_STATE', 'not drawing now'));
        this.applyDraw(socket, event, input, at.playerId, fresh, ack);
      })
      .catch((err: unknown) => this.failed(err, event, ack));
    socket.data.drawQueue = next;
    void next.then(() => {
      if (socket.data.drawQueue === next) socket.data.drawQueue = undefined;
    });
  }

  /**
   * Relays a draw event to the rest of the room, then acks it (what the others see goes out
   * first), then queues the store write on the same connection (so a late joiner's read sees it).
   * A drawing that reached MAX_OPS is remembered for the rest of the turn and refuses more strokes
   * and fills.
   *
   * The relay is built from the payload's JSON text, with the drawer's id added to it.
   */
  private applyDraw(
    socket: GameSocket,
    event: DrawEvent,
    input: unknown,
    playerId: string,
    room: RoomRec,
    ack: AnyAck,
  ): void {
    const adds = event === 'draw:stroke' || event === 'draw:fill';
    const turn = this.fullDrawings.size === 0 ? undefined : turnKey(room);
    if (adds && turn !== undefined && this.fullDrawings.has(turn))
      return ack(ackError('BAD_STATE', 'the drawing is full; undo or clear first'));
    const body = JSON.stringify(input);
    this.relayToRoom(socket, roomChannel(room.id), event, withPlayerId(body, playerId));
    ack(ackOk(null));
    if (!adds) {
      if (turn !== undefined) this.fullDrawings.delete(turn);
      // A "full" answer to a push sent before this undo or clear is out of date when it arrives.
      const key = turnKey(room);
      this.drawingResets.set(key, (this.drawingResets.get(key) ?? 0) + 1);
      if (this.drawingResets.size > 10000) this.drawingResets.clear();
      const write = event === 'draw:undo' ? this.store.popOp(room.id) : this.store.clearOps(room.id);
      write.catch((err: unknown) => this.drawWriteFailed(err, room.id, event));
      return;
    }
    // The store encodes the operation on its own rather than from `body`: the in-memory store
    // keeps a drawing's operations for the rest of the turn, and a string built by concatenation
    // keeps its pieces (34 more bytes of heap per 128-character operation, measured).
    const op: DrawOp =
      event === 'draw:stroke'
        ? { type: 'stroke', stroke: input as Stroke }
        : { type: 'fill', fill: input as Fill };
    const key = this.drawingResets.size === 0 ? undefined : turnKey(room);
    const resets = key === undefined ? undefined : this.drawingResets.get(key);
    this.store.pushOp(room.id, op).then(
      (stored) => {
        if (stored) return;
        const current = turnKey(room);
        if (this.drawingResets.get(current) !== resets) return;
        if (this.fullDrawings.size > 10000) this.fullDrawings.clear();
        this.fullDrawings.add(current);
      },
      (err: unknown) => this.drawWriteFailed(err, room.id, event),
    );
  }

  private drawWriteFailed(err: unknown, roomId: string, event: DrawEvent): void {
    this.opts.log.warn({ err, roomId, event }, 'could not store a drawing operation');
  }

  /**
   * Sends a draw event to everyone in `channel` but `socket`, on every replica. `payload` is the
   * event's payload as JSON text.
   */
  private relayToRoom(socket: GameSocket, channel: string, event: DrawEvent, payload: string): void {
    const nsp = this.io.sockets as unknown as Namespace;
    const adapter = nsp.adapter;
    if (!(adapter instanceof CoalescingRedisAdapter) && this.opts.adapter) {
      // An adapter this does not know: its own broadcast reaches the other replicas.
      (socket.to(channel) as unknown as { emit: (e: string, p: unknown) => void }).emit(
        event,
        JSON.parse(payload),
      );
      return;
    }
    const encoded = eventPacket(event, payload);
    if (adapter instanceof CoalescingRedisAdapter) adapter.sendEncodedToOthers(encoded, channel, socket.id);
    emitToLocalRoom(nsp, channel, socket.id, encoded);
  }

  private async chat(socket: GameSocket, input: { text: string }, ack: AnyAck): Promise<void> {
    const at = this.where(socket, ack);
    if (!at) return;
    await this.mutate(at.roomId, ack, (room, fx, now) => {
      const p = findPlayer(room, at.playerId);
      if (!p) return fail('NOT_FOUND', 'you are not in this room');
      const message = { playerId: p.id, nickname: p.nickname, text: input.text, at: now };
      if (room.phase === 'drawing' && room.word !== null) {
        if (p.id === room.drawerId || p.guessed) {
          // The drawer and those who guessed talk among themselves until the turn ends.
          fx.push({ t: 'room', event: 'chat:message', payload: message, insiders: true });
          return done({ correct: false, close: false });
        }
        const verdict = guess(room, p, input.text, now, this.t, fx);
        if (!verdict.correct) fx.push({ t: 'room', event: 'chat:message', payload: message });
        return done(verdict);
      }
      fx.push({ t: 'room', event: 'chat:message', payload: message });
      return done({ correct: false, close: false });
    });
  }

  private async kick(socket: GameSocket, input: { playerId: string }, ack: AnyAck): Promise<void> {
    const at = this.where(socket, ack);
    if (!at) return;
    await this.mutate(at.roomId, ack, (room, fx, now) => {
      if (!findPlayer(room, at.playerId)) return fail('NOT_FOUND', 'you are not in this room');
      const target = findPlayer(room, input.playerId);
      if (!target) return fail('NOT_FOUND', 'no such player in this room');
      if (target.id === at.playerId) return fail('BAD_STATE', 'you cannot vote to kick yourself');
      const others = connectedPlayers(room).filter((p) => p.id !== target.id);
      const votes = [...new Set([...(room.kickVotes[target.id] ?? []), at.playerId])].filter((v) =>
        others.some((p) => p.id === v),
      );
      const needed = Math.floor(others.length / 2) + 1;
      room.kickVotes[target.id] = votes;
      const kicked = votes.length >= needed;
      if (kicked) {
        // A new seat from the same address is refused for the rest of the room's life, or the
        // kicked player would simply join again under another nickname.
        if (target.addr && !room.bans?.includes(target.addr))
          room.bans = [...(room.bans ?? []), target.addr].slice(-MAX_BANS);
        fx.push({ t: 'room', event: 'player:kicked', payload: { playerId: target.id } });
        removePlayer(room, target.id, now, this.t, fx);
      }
      return done({ votes: votes.length, needed, kicked });
    });
  }

  // ---- timers ----

  private async runTimers(): Promise<void> {
    if (this.ticking) return;
    this.ticking = true;
    try {
      const now = Date.now();
      const due = await this.store.dueRooms(now, 50);
      for (const roomId of due) {
        await this.store.withLock(roomId, false, async () => {
          const room = await this.store.load(roomId);
          if (!room || room.wake === null || room.wake > Date.now()) return;
          const fx: Effect[] = [];
          advance(room, Date.now(), this.t, fx);
          await this.commit(room, fx);
          await this.effects(room, fx);
        });
      }
    } catch (err) {
      this.opts.log.warn({ err }, 'timer loop failed');
    } finally {
      this.ticking = false;
    }
  }
}

function safeAck(ack: AnyAck, res: Ack<unknown>): void {
  try {
    ack(res);
  } catch {
    // A client-side ack cannot fail the server.
  }
}

/** A room's current turn, as `fullDrawings` knows it. */
const turnKey = (room: RoomRec): string => `${room.id}:${room.turnStartedAt}`;

/**
 * A draw event's payload as relayed, from the validated payload's JSON object text: its keys,
 * then the drawer's `playerId` (what `{ ...input, playerId }` encodes to).
 */
export function withPlayerId(body: string, playerId: string): string {
  const id = `"playerId":${JSON.stringify(playerId)}}`;
  return body === '{}' ? `{${id}` : `${body.slice(0, -1)},${id}`;
}
