/** The protocol client against the real game server (in-memory defaults, loopback). */
import { createServer, type Socket } from 'node:net';
import type { RoomState } from '@hybrid/game-protocol';
import { GameClient, GameError, MemoryStore } from '../src/client';
import { startGameServer, type GameServer } from './helpers';

let server: GameServer;
const clients: GameClient[] = [];

beforeAll(async () => {
  server = await startGameServer();
});
afterAll(async () => {
  for (const c of clients) c.close();
  await server?.stop();
});

function client(storage = new MemoryStore()): GameClient {
  const c = new GameClient({ url: server.url, storage, ackTimeoutMs: 3000, reconnectDelayMs: [50, 200] });
  clients.push(c);
  return c;
}

function next<T>(
  subscribe: (fn: (v: T) => void) => () => void,
  pred: (v: T) => boolean = () => true,
  ms = 5000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error('timed out waiting for an event'));
    }, ms);
    const off = subscribe((v) => {
      if (!pred(v)) return;
      clearTimeout(timer);
      off();
      resolve(v);
    });
  });
}

test('create, join and see each other; the seat is remembered in the storage', async () => {
  const storeA = new MemoryStore();
  const a = client(storeA);
  await a.ready();
  const created = await a.create('Ann', { rounds: 2, language: 'en' });
  expect(created.code).toMatch(/^[A-Za-z0-9]{4,12}$/);
  expect(a.seat).toEqual({
    code: created.code,
    nickname: 'Ann',
    playerId: created.playerId,
    sessionToken: created.sessionToken,
  });
  expect(JSON.parse(storeA.getItem('drawguess.seat')!)).toMatchObject({
    code: created.code,
    playerId: created.playerId,
  });

  const b = client();
  await b.ready();
  const seen = next<RoomState>(
    (fn) => a.on('state', fn),
    (s) => s.players.length === 2,
  );
  const joined = await b.join(created.code.toLowerCase(), 'Ben');
  expect(joined.state.players.map((p) => p.nickname).sort()).toEqual(['Ann', 'Ben']);
  expect(b.state?.code).toBe(created.code);
  const stateA = await seen;
  expect(stateA.hostId).toBe(created.playerId);
  expect(stateA.settings.rounds).toBe(2);
});

test('server errors become GameErrors with the protocol code and change nothing', async () => {
  const c = client();
  await c.ready();
  await expect(c.join('ZZZZZZ', 'Nobody')).rejects.toMatchObject({ name: 'GameError', code: 'NOT_FOUND' });
  await expect(c.create('')).rejects.toMatchObject({ code: 'INVALID_PAYLOAD' });
  await expect(c.create('x'.repeat(30))).rejects.toBeInstanceOf(GameError);
  expect(c.seat).toBeNull();
  await expect(c.start()).rejects.toBeInstanceOf(GameError);
});

test('a request while disconnected rejects at once with DISCONNECTED', async () => {
  const c = client();
  await c.ready();
  c.close();
  await expect(c.chat('hello')).rejects.toMatchObject({ code: 'DISCONNECTED' });
  expect(c.status).toBe('offline');
});

test('a dropped connection reconnects and takes the same seat back, score intact', async () => {
  const a = client();
  await a.ready();
  const { code, playerId } = await a.create('Host');
  await a.join(code, 'Host');
  const b = client();
  await b.ready();
  const { playerId: bId } = await b.join(code, 'Guest');

  // Play one correct guess so the guest has points.
  const drawerReady = new Promise<GameClient>((ok) => {
    a.on('word:choices', () => ok(a));
    b.on('word:choices', () => ok(b));
  });
  await a.start();
  const drawer = await drawerReady;
  const guesser = drawer === a ? b : a;
  const { word } = await drawer.chooseWord(0);
  const res = await guesser.chat(word);
  expect(res).toEqual({ correct: true, close: false });
  const scored = await next<RoomState>(
    (fn) => guesser.on('state', fn),
    (s) => (s.players.find((p) => p.id === guesser.playerId)?.score ?? 0) > 0,
    10_000,
  ).catch(() => guesser.state!);
  const before = scored.players.find((p) => p.id === guesser.playerId)!.score;
  expect(before).toBeGreaterThan(0);

  const statuses: string[] = [];
  guesser.on('status', (s) => statuses.push(s));
  const back = next<string>(
    (fn) => guesser.on('status', fn),
    (s) => s === 'connected',
    10_000,
  );
  guesser.socket.io.engine.close(); // the transport drops, socket.io-client reconnects by itself
  await back;
  expect(statuses[0]).toBe('reconnecting');
  expect(guesser.playerId).toBe(guesser === a ? playerId : bId);
  const me = guesser.state!.players.find((p) => p.id === guesser.playerId)!;
  expect(me.score).toBe(before);
  expect(me.connected).toBe(true);
  expect(guesser.state!.players).toHaveLength(2);
});

test('a new client with the remembered seat resumes it; an unknown seat is forgotten', async () => {
  const store = new MemoryStore();
  const a = client(store);
  await a.ready();
  const { code, playerId } = await a.create('Keeper');
  await a.join(code, 'Keeper');
  a.close();

  const again = client(store); // a reloaded page: same storage, new socket
  expect(again.seat?.playerId).toBe(playerId);
  await again.ready();
  const res = await again.resume();
  expect(res?.playerId).toBe(playerId);
  expect(again.state?.players.filter((p) => p.nickname === 'Keeper')).toHaveLength(1);

  const stale = new MemoryStore();
  stale.setItem(
    'drawguess.seat',
    JSON.stringify({ code: 'QQQQQQ', nickname: 'Ghost', playerId: 'p1', sessionToken: 'x'.repeat(32) }),
  );
  const ghost = client(stale);
  await ghost.ready();
  const lost = next<GameError>((fn) => ghost.on('seat:lost', fn));
  await expect(ghost.resume()).rejects.toMatchObject({ code: 'NOT_FOUND' });
  expect((await lost).code).toBe('NOT_FOUND');
  expect(ghost.seat).toBeNull();
  expect(stale.getItem('drawguess.seat')).toBeNull();

  const corrupt = new MemoryStore();
  corrupt.setItem('drawguess.seat', '{not json');
  expect(client(corrupt).seat).toBeNull();
});

test('a seat opened in another tab replaces this connection, which does not fight back until asked', async () => {
  const store = new MemoryStore();
  const a = client(store);
  await a.ready();
  const { code, playerId } = await a.create('Twin');
  await a.join(code, 'Twin');

  const replaced = next<string>(
    (fn) => a.on('status', fn),
    (s) => s !== 'connected',
  );
  const b = client(store); // a duplicated tab: the same remembered seat
  await b.ready();
  expect((await b.resume())?.playerId).toBe(playerId);
  expect(await replaced).toBe('replaced');
  // No reconnect of its own (which would take the seat back and start a tug of war).
  await new Promise((r) => setTimeout(r, 500));
  expect(a.status).toBe('replaced');
  expect(b.status).toBe('connected');

  // Asked, it takes the seat back, and the other tab is the one replaced.
  const bReplaced = next<string>(
    (fn) => b.on('status', fn),
    (s) => s === 'replaced',
  );
  const aBack = next<string>(
    (fn) => a.on('status', fn),
    (s) => s === 'connected',
  );
  a.takeBack();
  await aBack;
  await bReplaced;
  expect(a.playerId).toBe(playerId);
  expect(a.state?.players.filter((p) => p.nickname === 'Twin')).toHaveLength(1);
});

describe('a connection attempt that hangs', () => {
  it("is given up after connectTimeoutMs and tried again, not after Socket.IO's 20 s", async () => {
    // A server that accepts TCP and never answers, like a network that drops packets.
    const held: Socket[] = [];
    const blackHole = createServer((s) => held.push(s));
    await new Promise<void>((r) => blackHole.listen(0, '127.0.0.1', r));
    const { port } = blackHole.address() as { port: number };
    const c = new GameClient({
      url: `http://127.0.0.1:${port}`,
      reconnectDelayMs: [50, 100],
      connectTimeoutMs: 300,
    });
    try {
      const deadline = Date.now() + 5000;
      while (held.length < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(held.length).toBeGreaterThanOrEqual(3);
      expect(c.status).toBe('reconnecting');
    } finally {
      c.close();
      for (const s of held) s.destroy();
      await new Promise((r) => blackHole.close(r));
    }
  });
});
