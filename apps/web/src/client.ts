/**
 * The protocol client: a typed wrapper around a socket.io-client socket that turns every acked
 * event into a promise, keeps the room state current, remembers the seat (sessionToken) in a
 * storage (sessionStorage in the browser) and takes the seat back after a reconnect. Free of the
 * DOM so it is tested under Node against the real game server.
 */
import { io, type Socket } from 'socket.io-client';
import type {
  Ack,
  ChatResult,
  ClientToServerEvents,
  ErrorCode,
  Fill,
  RoomCreateResult,
  RoomJoinResult,
  RoomSettings,
  RoomState,
  ServerToClientEvents,
  Stroke,
} from '@hybrid/game-protocol';

export type GameSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** What a failed request rejects with: the server's error code, or TIMEOUT / DISCONNECTED. */
export class GameError extends Error {
  constructor(
    readonly code: ErrorCode | 'TIMEOUT' | 'DISCONNECTED',
    message: string,
  ) {
    super(message);
    this.name = 'GameError';
  }
}

export interface KeyValueStore {
  getItem(key: string): string | null;
  setItem(key: string, value: string): void;
  removeItem(key: string): void;
}

/** An in-memory store, for Node and for browsers where sessionStorage is blocked. */
export class MemoryStore implements KeyValueStore {
  private readonly map = new Map<string, string>();
  getItem(key: string): string | null {
    return this.map.get(key) ?? null;
  }
  setItem(key: string, value: string): void {
    this.map.set(key, value);
  }
  removeItem(key: string): void {
    this.map.delete(key);
  }
}

export interface Seat {
  readonly code: string;
  readonly nickname: string;
  readonly playerId: string;
  readonly sessionToken: string;
}

/**
 * `replaced`: the server ended this connection because the same seat was opened by another one
 * (another tab or device); it does not reconnect on its own, `takeBack()` does.
 */
export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'replaced';

type ServerEvents = {
  [K in keyof ServerToClientEvents]: Parameters<ServerToClientEvents[K]>[0];
};
export type ClientEvents = ServerEvents & {
  status: ConnectionStatus;
  /** The room state changed (a snapshot or an incremental event applied). */
  state: RoomState;
  /** Taking the seat back after a reconnect failed; the seat is forgotten. */
  'seat:lost': GameError;
};

export interface GameClientOptions {
  readonly url: string;
  readonly storage?: KeyValueStore;
  /** Milliseconds to wait for an ack. @default 5000 */
  readonly ackTimeoutMs?: number;
  /** Socket.IO transports. @default ['websocket'] */
  readonly transports?: readonly ('websocket' | 'polling')[];
  /** Reconnection delay bounds in ms. @default [300, 2000] */
  readonly reconnectDelayMs?: readonly [number, number];
  /**
   * Milliseconds a connection attempt may take before the next one. On a network that drops
   * packets instead of refusing them, an attempt hangs: Socket.IO's own 20 s would keep the
   * player waiting that long after the network is back. @default 5000
   */
  readonly connectTimeoutMs?: number;
}

const SEAT_KEY = 'drawguess.seat';
type Listener<T> = (payload: T) => void;

const RELAYED: readonly (keyof ServerToClientEvents)[] = [
  'room:state',
  'word:choices',
  'turn:start',
  'hint',
  'draw:stroke',
  'draw:fill',
  'draw:undo',
  'draw:clear',
  'draw:sync',
  'chat:message',
  'guess:correct',
  'turn:end',
  'game:end',
  'player:kicked',
];

export class GameClient {
  readonly socket: GameSocket;
  private readonly storage: KeyValueStore;
  private readonly timeout: number;
  private readonly listeners = new Map<keyof ClientEvents, Set<Listener<never>>>();
  private currentStatus: ConnectionStatus = 'connecting';
  private currentState: RoomState | null = null;
  private seatValue: Seat | null;
  private everConnected = false;

  constructor(opts: GameClientOptions) {
    this.storage = opts.storage ?? new MemoryStore();
    this.timeout = opts.ackTimeoutMs ?? 5000;
    this.seatValue = readSeat(this.storage);
    const [min, max] = opts.reconnectDelayMs ?? [300, 2000];
    this.socket = io(opts.url, {
      transports: [...(opts.transports ?? ['websocket'])],
      reconnectionDelay: min,
      reconnectionDelayMax: max,
      timeout: opts.connectTimeoutMs ?? 5000,
      autoConnect: true,
    });
    for (const name of RELAYED) {
      this.socket.on(name, ((payload: never) => {
        this.absorb(name, payload);
        this.emit(name, payload);
      }) as never);
    }
    this.socket.on('connect', () => {
      const again = this.everConnected;
      this.everConnected = true;
      if (again && this.seatValue) this.resumeAfterReconnect();
      else this.setStatus('connected');
    });
    this.socket.on('disconnect', (reason) => {
      // The server ends a socket itself only when its seat was taken by another connection
      // (on shutdown it closes the transport, which reconnects like any dropped connection).
      this.setStatus(
        reason === 'io client disconnect'
          ? 'offline'
          : reason === 'io server disconnect'
            ? 'replaced'
            : 'reconnecting',
      );
    });
    this.socket.io.on('reconnect_attempt', () => this.setStatus('reconnecting'));
  }

  get status(): ConnectionStatus {
    return this.currentStatus;
  }
  get state(): RoomState | null {
    return this.currentState;
  }
  get seat(): Seat | null {
    return this.seatValue;
  }
  get playerId(): string | null {
    return this.seatValue?.playerId ?? null;
  }

  on<K extends keyof ClientEvents>(event: K, fn: Listener<ClientEvents[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener<never>);
    return () => set.delete(fn as Listener<never>);
  }

  /** Resolves once the socket is connected (rejects after the ack timeout). */
  ready(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off('connect', done);
        reject(new GameError('TIMEOUT', 'could not reach the game server'));
      }, this.timeout);
      const done = (): void => {
        clearTimeout(timer);
        resolve();
      };
      this.socket.once('connect', done);
    });
  }

  async create(nickname: string, settings?: Partial<RoomSettings>): Promise<RoomCreateResult> {
    const res = await this.request('room:create', settings ? { nickname, settings } : { nickname });
    this.saveSeat({ code: res.code, nickname, playerId: res.playerId, sessionToken: res.sessionToken });
    return res;
  }

  /** Joins a room by code; with the remembered seat for that code, takes the same seat back. */
  async join(code: string, nickname: string): Promise<RoomJoinResult> {
    const norm = code.trim().toUpperCase();
    const known = this.seatValue && this.seatValue.code === norm ? this.seatValue.sessionToken : undefined;
    const res = await this.request(
      'room:join',
      known ? { code: norm, nickname, sessionToken: known } : { code: norm, nickname },
    );
    this.saveSeat({ code: norm, nickname, playerId: res.playerId, sessionToken: res.sessionToken });
    this.setState(res.state);
    return res;
  }

  /** Takes the remembered seat back (after a reload or a reconnect). */
  async resume(): Promise<RoomJoinResult | null> {
    const seat = this.seatValue;
    if (!seat) return null;
    try {
      const res = await this.request('room:join', {
        code: seat.code,
        nickname: seat.nickname,
        sessionToken: seat.sessionToken,
      });
      this.saveSeat({ ...seat, playerId: res.playerId, sessionToken: res.sessionToken });
      this.setState(res.state);
      this.setStatus('connected');
      return res;
    } catch (err) {
      const e = err instanceof GameError ? err : new GameError('DISCONNECTED', String(err));
      if (e.code !== 'TIMEOUT' && e.code !== 'DISCONNECTED' && e.code !== 'RATE_LIMITED') {
        this.forgetSeat();
        this.setStatus('connected');
        this.emit('seat:lost', e);
      }
      throw e;
    }
  }

  /**
   * Takes the seat back after the socket reconnected; a lost ack (timeout) is retried while the
   * socket stays connected, so the player is never left in the reconnecting state.
   */
  private resumeAfterReconnect(attempt = 0): void {
    const socket = this.socket;
    this.resume().catch((err: unknown) => {
      const code = err instanceof GameError ? err.code : 'DISCONNECTED';
      if (code !== 'TIMEOUT' && code !== 'DISCONNECTED' && code !== 'RATE_LIMITED') return; // seat:lost was emitted
      if (!socket.connected || attempt >= 5) return; // the next 'connect' tries again
      console.warn(`taking the seat back failed (${code}); retrying`);
      setTimeout(() => this.resumeAfterReconnect(attempt + 1), 500 * (attempt + 1));
    });
  }

  /** After `replaced`: connects again and takes the seat back (the other connection is then replaced). */
  takeBack(): void {
    if (this.socket.connected) return;
    this.setStatus('reconnecting');
    this.socket.connect();
  }

  async leave(): Promise<void> {
    try {
      if (this.socket.connected) await this.request('room:leave', {});
    } finally {
      this.forgetSeat();
      this.currentState = null;
    }
  }

  start(): Promise<null> {
    return this.request('game:start', {});
  }
  chooseWord(index: number): Promise<{ readonly word: string }> {
    return this.request('word:choose', { index });
  }
  stroke(stroke: Stroke): Promise<null> {
    return this.request('draw:stroke', stroke);
  }
  fill(fill: Fill): Promise<null> {
    return this.request('draw:fill', fill);
  }
  undo(): Promise<null> {
    return this.request('draw:undo', {});
  }
  clear(): Promise<null> {
    return this.request('draw:clear', {});
  }
  chat(text: string): Promise<ChatResult> {
    return this.request('chat:send', { text });
  }
  voteKick(
    playerId: string,
  ): Promise<{ readonly votes: number; readonly needed: number; readonly kicked: boolean }> {
    return this.request('kick:vote', { playerId });
  }

  /** Closes the socket for good (the seat stays remembered unless `forget`). */
  close(forget = false): void {
    if (forget) this.forgetSeat();
    this.socket.close();
  }

  /** Sends one event and resolves with its ack's data, or rejects with a GameError. */
  request<K extends keyof ClientToServerEvents>(
    event: K,
    payload: Parameters<ClientToServerEvents[K]>[0],
  ): Promise<AckData<K>> {
    return new Promise((resolve, reject) => {
      if (!this.socket.connected) {
        reject(new GameError('DISCONNECTED', 'not connected to the game server'));
        return;
      }
      const emitWithTimeout = this.socket.timeout(this.timeout).emit as unknown as (
        ev: string,
        p: unknown,
        cb: (err: Error | null, res: Ack<AckData<K>>) => void,
      ) => void;
      emitWithTimeout.call(this.socket.timeout(this.timeout), event, payload, (err, res) => {
        if (err) reject(new GameError('TIMEOUT', `${event}: no answer from the server`));
        else if (res.ok) resolve(res.data);
        else reject(new GameError(res.error.code, res.error.message));
      });
    });
  }

  private absorb(name: keyof ServerToClientEvents, payload: unknown): void {
    const s = this.currentState;
    switch (name) {
      case 'room:state':
        this.setState(payload as RoomState);
        return;
      case 'turn:start': {
        if (!s) return;
        const p = payload as Parameters<ServerToClientEvents['turn:start']>[0];
        this.setState({
          ...s,
          phase: 'drawing',
          drawerId: p.drawerId,
          hint: p.hint,
          endsAt: p.endsAt,
          round: p.round,
          players: s.players.map((pl) => ({ ...pl, guessed: false })),
        });
        return;
      }
      case 'hint':
        if (s) this.setState({ ...s, hint: (payload as { hint: string }).hint });
        return;
      case 'guess:correct': {
        if (!s) return;
        const p = payload as { playerId: string; points: number };
        this.setState({
          ...s,
          players: s.players.map((pl) => (pl.id === p.playerId ? { ...pl, guessed: true } : pl)),
        });
        return;
      }
      case 'turn:end': {
        if (!s) return;
        const p = payload as Parameters<ServerToClientEvents['turn:end']>[0];
        this.setState({
          ...s,
          phase: 'turn-end',
          players: s.players.map((pl) => ({ ...pl, score: p.scores[pl.id] ?? pl.score })),
        });
        return;
      }
      default:
        return;
    }
  }

  private setState(state: RoomState): void {
    this.currentState = state;
    this.emit('state', state);
  }

  private setStatus(status: ConnectionStatus): void {
    if (status === this.currentStatus) return;
    this.currentStatus = status;
    this.emit('status', status);
  }

  private saveSeat(seat: Seat): void {
    this.seatValue = seat;
    try {
      this.storage.setItem(SEAT_KEY, JSON.stringify(seat));
    } catch {
      // Storage may be full or blocked; the seat is still kept in memory.
    }
  }

  private forgetSeat(): void {
    this.seatValue = null;
    try {
      this.storage.removeItem(SEAT_KEY);
    } catch {
      // ignore
    }
  }

  private emit<K extends keyof ClientEvents>(event: K, payload: ClientEvents[K]): void {
    for (const fn of this.listeners.get(event) ?? []) {
      try {
        (fn as Listener<ClientEvents[K]>)(payload);
      } catch (err) {
        console.error(`listener for ${String(event)} failed`, err);
      }
    }
  }
}

type AckData<K extends keyof ClientToServerEvents> = Parameters<ClientToServerEvents[K]>[1] extends (
  res: Ack<infer T>,
) => void
  ? T
  : never;

function readSeat(storage: KeyValueStore): Seat | null {
  try {
    const raw = storage.getItem(SEAT_KEY);
    if (!raw) return null;
    const v = JSON.parse(raw) as Partial<Seat>;
    if (
      typeof v.code === 'string' &&
      typeof v.nickname === 'string' &&
      typeof v.playerId === 'string' &&
      typeof v.sessionToken === 'string'
    )
      return { code: v.code, nickname: v.nickname, playerId: v.playerId, sessionToken: v.sessionToken };
  } catch {
    // a corrupt entry is ignored
  }
  return null;
}
