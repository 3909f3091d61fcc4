import { freePort } from '@hybrid/tools/test-env';
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import type { Ack, ClientToServerEvents, RoomState, ServerToClientEvents } from '@hybrid/game-protocol';
import { buildService, type BuiltService } from '@hybrid/service-kit';
import { io as connect, type Socket } from 'socket.io-client';
import { createGameService } from '../src/app';

export const pkgDir = join(__dirname, '..');

export interface TestServer {
  readonly url: string;
  readonly svc: BuiltService;
  close(): Promise<void>;
}

/** Fast timers unless a test says otherwise. */
export const FAST_ENV = {
  LOG_LEVEL: 'silent',
  HOST: '127.0.0.1',
  CHOOSE_TIME_SEC: '0.6',
  TURN_END_SEC: '0.2',
  GAME_END_SEC: '30',
  RECONNECT_GRACE_SEC: '30',
  CORS_ORIGINS: 'http://allowed.test',
};

export async function startServer(env: Record<string, string>): Promise<TestServer> {
  const svc = await buildService(createGameService(), { env: { ...FAST_ENV, ...env } });
  await svc.app.listen({ port: 0, host: '127.0.0.1' });
  const addr = svc.app.server.address() as { port: number };
  return { url: `http://127.0.0.1:${addr.port}`, svc, close: () => svc.close() };
}

export { freePort };

/** The server as a real child process (a replica), running the sources through tsx. */
export interface Replica {
  readonly url: string;
  readonly child: ChildProcess;
  output(): string;
  readonly exit: Promise<number | null>;
}

export async function startReplica(env: Record<string, string>): Promise<Replica> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/main.ts'], {
    cwd: pkgDir,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      ...FAST_ENV,
      LOG_LEVEL: 'info',
      ...env,
      PORT: String(port),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  const url = `http://127.0.0.1:${port}`;
  const end = Date.now() + 60000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`replica exited early:\n${out}`);
    const up = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (up) break;
    if (Date.now() > end) throw new Error(`replica did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, child, output: () => out, exit };
}

type Listener = (...args: unknown[]) => void;
type Received = { event: string; payload: unknown };

/** A real socket.io-client player that records everything it receives. */
export class Player {
  readonly socket: Socket<ServerToClientEvents, ClientToServerEvents>;
  readonly received: Received[] = [];
  private waiters: { event: string; pred: (p: unknown) => boolean; resolve: Listener }[] = [];
  playerId = '';
  sessionToken = '';
  roomId = '';
  code = '';
  nickname: string;

  constructor(
    url: string,
    nickname: string,
    opts: {
      origin?: string;
      reconnection?: boolean;
      localAddress?: string;
      /** `['polling']` keeps the client on HTTP long-polling. */
      transports?: ('websocket' | 'polling')[];
    } = {},
  ) {
    this.nickname = nickname;
    this.socket = connect(url, {
      transports: opts.transports ?? ['websocket'],
      reconnection: opts.reconnection ?? false,
      forceNew: true,
      ...(opts.origin ? { extraHeaders: { origin: opts.origin } } : {}),
      // Another loopback address (127.0.0.0/8) stands for another client machine.
      ...(opts.localAddress ? { localAddress: opts.localAddress } : {}),
    });
    this.socket.onAny((event: string, payload: unknown) => {
      this.received.push({ event, payload });
      const w = this.waiters.filter((x) => x.event === event && x.pred(payload));
      this.waiters = this.waiters.filter((x) => !w.includes(x));
      for (const x of w) x.resolve(payload);
    });
  }

  connected(): Promise<void> {
    if (this.socket.connected) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.socket.once('connect', () => resolve());
      this.socket.once('connect_error', (e) => reject(e));
    });
  }

  /** Emits an event and resolves with its ack. */
  call<T = unknown>(event: string, payload?: unknown, timeoutMs = 5000): Promise<Ack<T>> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.nickname}: no ack for ${event}`)), timeoutMs);
      const cb = (res: Ack<T>) => {
        clearTimeout(t);
        resolve(res);
      };
      const s = this.socket as unknown as { emit: (...a: unknown[]) => void };
      if (payload === undefined) s.emit(event, cb);
      else s.emit(event, payload, cb);
    });
  }

  async ok<T = unknown>(event: string, payload?: unknown): Promise<T> {
    const res = await this.call<T>(event, payload);
    if (!res.ok) throw new Error(`${this.nickname} ${event}: ${res.error.code} ${res.error.message}`);
    return res.data;
  }

  /** The next `event` (from now on) matching `pred`. */
  next<T = unknown>(event: string, pred: (p: T) => boolean = () => true, timeoutMs = 8000): Promise<T> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`${this.nickname}: timed out waiting for ${event}`)),
        timeoutMs,
      );
      t.unref();
      this.waiters.push({
        event,
        pred: pred as (p: unknown) => boolean,
        resolve: (p) => {
          clearTimeout(t);
          resolve(p as T);
        },
      });
    });
  }

  /** A matching event already received, or the next one. */
  seen<T = unknown>(event: string, pred: (p: T) => boolean = () => true, timeoutMs = 8000): Promise<T> {
    const r = this.received.find((x) => x.event === event && pred(x.payload as T));
    return r ? Promise.resolve(r.payload as T) : this.next(event, pred, timeoutMs);
  }

  events(event: string): unknown[] {
    return this.received.filter((r) => r.event === event).map((r) => r.payload);
  }

  lastState(): RoomState | undefined {
    return this.events('room:state').at(-1) as RoomState | undefined;
  }

  async create(settings: Record<string, unknown> = {}): Promise<void> {
    await this.connected();
    const r = await this.ok<{ roomId: string; code: string; playerId: string; sessionToken: string }>(
      'room:create',
      { nickname: this.nickname, settings },
    );
    Object.assign(this, r);
  }

  async join(code: string, sessionToken?: string): Promise<RoomState> {
    await this.connected();
    const r = await this.ok<{ roomId: string; playerId: string; sessionToken: string; state: RoomState }>(
      'room:join',
      { code, nickname: this.nickname, ...(sessionToken ? { sessionToken } : {}) },
    );
    this.roomId = r.roomId;
    this.playerId = r.playerId;
    this.sessionToken = r.sessionToken;
    this.code = code;
    return r.state;
  }

  close(): void {
    this.socket.disconnect();
  }
}

/**
 * Plays the started one-round game of `a` and `b` to its end: each turn the drawer picks the
 * first word and the other guesses it at once. Resolves once the second turn has ended.
 */
export async function playBothTurns(a: Player, b: Player): Promise<void> {
  let choosing = a.seen<RoomState>('room:state', (s) => s.phase === 'choosing');
  for (let turn = 0; turn < 2; turn++) {
    const st = await choosing;
    const drawer = st.drawerId === a.playerId ? a : b;
    const guesser = drawer === a ? b : a;
    const { word } = await drawer.ok<{ word: string }>('word:choose', { index: 0 });
    const end = a.next('turn:end');
    if (turn === 0) choosing = a.next<RoomState>('room:state', (s) => s.phase === 'choosing');
    await guesser.ok('chat:send', { text: word });
    await end;
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Everything any of these players received, flattened to JSON, to search for a leaked word. */
export function everythingSeenBy(p: Player): string {
  return JSON.stringify(p.received);
}

/** Polls quickly until `fn` returns a value that is not undefined. */
export async function until<T>(fn: () => T | undefined, timeoutMs = 8000, what = 'condition'): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(15);
  }
}

/** Waits for the `n`-th word:choices (1-based) among the players: that player draws the next turn. */
export async function nthDrawer(players: Player[], n: number): Promise<{ drawer: Player; words: string[] }> {
  return until(
    () => {
      const all = players.flatMap((p) =>
        p.received.map((r, i) => ({ p, r, i })).filter((x) => x.r.event === 'word:choices'),
      );
      if (all.length < n) return undefined;
      // Each player's own events are ordered; a drawer gets one word:choices per turn.
      const counts = all.length;
      void counts;
      const byTurn = players.map((p) => p.events('word:choices').length).reduce((a, b) => a + b, 0);
      if (byTurn < n) return undefined;
      const latest = players.find((p) => {
        const st = p.lastState();
        return st && st.drawerId === p.playerId && st.phase === 'choosing';
      });
      if (!latest) return undefined;
      const words = (latest.events('word:choices').at(-1) as { words: string[] }).words;
      return { drawer: latest, words };
    },
    10000,
    `word choices #${n}`,
  );
}

/** Deletes every Redis key under a test prefix. */
export async function dropRedisPrefix(url: string, prefix: string): Promise<void> {
  const { Redis } = await import('ioredis');
  const r = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) await r.del(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}
