import { clientSchemas, type RoomState } from '@hybrid/game-protocol';
import { scrapeMetrics, testUrls, uniqueName } from '@hybrid/tools/test-env';
import WebSocket from 'ws';
import { MAX_OPS } from '../src/store';
import { dropRedisPrefix, nthDrawer, Player, sleep, startServer, until, type TestServer } from './helpers';

/** A small seeded PRNG so a failure can be replayed. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const VALID: Record<string, unknown> = {
  'room:create': { nickname: 'fuzz', settings: { rounds: 2 } },
  'room:join': { code: 'ABCDEF', nickname: 'fuzz' },
  'room:leave': {},
  'game:start': {},
  'word:choose': { index: 0 },
  'draw:stroke': { points: [[0.1, 0.2]], color: '#abcdef', size: 3, tool: 'pen' },
  'draw:fill': { x: 0.5, y: 0.5, color: '#000000' },
  'draw:undo': {},
  'draw:clear': {},
  'chat:send': { text: 'hello' },
  'kick:vote': { playerId: 'someone' },
};

function junk(r: () => number, depth = 0): unknown {
  const k = Math.floor(r() * 12);
  switch (k) {
    case 0:
      return null;
    case 1:
      return r() < 0.5;
    case 2:
      return (r() - 0.5) * 10 ** Math.floor(r() * 12);
    case 3:
      return Math.floor((r() - 0.5) * 1e6);
    case 4:
      return '';
    case 5:
      return String.fromCodePoint(
        ...Array.from({ length: 1 + Math.floor(r() * 40) }, () => Math.floor(r() * 0x2fff)),
      );
    case 6:
      return 'x'.repeat(Math.floor(r() * 2000));
    case 7:
      return depth > 3 ? [] : Array.from({ length: Math.floor(r() * 5) }, () => junk(r, depth + 1));
    case 8:
      return depth > 3
        ? {}
        : Object.fromEntries(
            Array.from({ length: Math.floor(r() * 4) }, (_, i) => [`k${i}`, junk(r, depth + 1)]),
          );
    case 9:
      return depth > 3 ? [] : Array.from({ length: 300 }, () => [r(), r()]);
    case 10:
      return JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}') as unknown;
    default:
      return '#zzzzzz';
  }
}

/** A payload for `event` that the protocol rejects: pure junk, or a valid payload with one field broken. */
function badPayload(event: string, r: () => number): unknown {
  for (;;) {
    let p: unknown;
    const base = structuredClone(Object.hasOwn(VALID, event) ? VALID[event] : {}) as Record<string, unknown>;
    const mode = r();
    if (mode < 0.3) p = junk(r);
    else if (mode < 0.6 && Object.keys(base).length) {
      const key = Object.keys(base)[Math.floor(r() * Object.keys(base).length)]!;
      base[key] = junk(r);
      p = base;
    } else if (mode < 0.75) {
      base[`extra${Math.floor(r() * 9)}`] = junk(r);
      p = base;
    } else if (mode < 0.9 && Object.keys(base).length) {
      delete base[Object.keys(base)[0]!];
      p = base;
    } else p = junk(r);
    // What the server receives is the JSON form of the payload.
    const wire = p === undefined ? undefined : JSON.parse(JSON.stringify(p) ?? 'null');
    const validate = Object.hasOwn(clientSchemas, event)
      ? (clientSchemas as Record<string, (x: unknown) => { ok: boolean }>)[event]
      : undefined;
    if (!validate || !validate(wire ?? {}).ok) return wire;
  }
}

describe('fuzzing every event', () => {
  let server: TestServer;
  const prefix = `${uniqueName('dg_fuzz')}:`;
  const players: Player[] = [];

  beforeAll(async () => {
    server = await startServer({
      REDIS_URL: testUrls.redis,
      REDIS_KEY_PREFIX: prefix,
      CHOOSE_TIME_SEC: '30',
      STROKE_RATE: '10000',
      STROKE_BURST: '100000',
      CHAT_RATE: '1000',
      CHAT_BURST: '10000',
      ROOM_EVENT_RATE: '10000',
      ROOM_EVENT_BURST: '100000',
    });
  });
  afterAll(async () => {
    for (const p of players) p.close();
    await server?.close();
    await dropRedisPrefix(testUrls.redis, prefix);
  });

  it('acks thousands of random and malformed payloads with an error and leaves the room intact', async () => {
    const a = new Player(server.url, 'a');
    const b = new Player(server.url, 'b');
    const c = new Player(server.url, 'c');
    players.push(a, b, c);
    await a.create({ drawTimeSec: 240, customWords: ['saxophone'], customWordsOnly: true });
    await b.join(a.code);
    await c.join(a.code);
    await a.ok('game:start', {});
    const { drawer } = await nthDrawer([a, b, c], 1);
    await drawer.ok('word:choose', { index: 0 });
    await drawer.ok('draw:stroke', VALID['draw:stroke']);
    const watcher = [a, b, c].find((p) => p !== drawer)!;
    await sleep(100);
    const before = watcher.lastState()!;
    const seenBefore = watcher.received.length;

    const r = rng(20261122);
    const events = [...Object.keys(clientSchemas), 'unknown:event', 'constructor', '__proto__', 'toString'];
    const fuzzers = [drawer, ...[a, b, c].filter((p) => p !== drawer && p !== watcher)];
    const results: { event: string; ok: boolean; code?: string }[] = [];
    const TOTAL = 3000;
    for (let sent = 0; sent < TOTAL; sent += 100) {
      await Promise.all(
        Array.from({ length: 100 }, async () => {
          const event = events[Math.floor(r() * events.length)]!;
          const from = fuzzers[Math.floor(r() * fuzzers.length)]!;
          const payload = badPayload(event, r);
          const res = await from.call(event, payload);
          results.push({ event, ok: res.ok, ...(res.ok ? {} : { code: res.error.code }) });
        }),
      );
    }
    expect(results).toHaveLength(TOTAL);
    expect(results.filter((x) => x.ok)).toEqual([]);
    expect(new Set(results.map((x) => x.code))).toEqual(new Set(['INVALID_PAYLOAD']));
    // Every event name was exercised.
    for (const e of events) expect(results.some((x) => x.event === e)).toBe(true);

    // Malformed Socket.IO / engine.io frames on a raw WebSocket: the server drops them, nothing more.
    const raw = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    await new Promise((res) => raw.once('open', res));
    for (const frame of [
      '40',
      '42["chat:send"',
      '42[{"a":1}]',
      '4{',
      '42["draw:stroke",{"points":[[1e309,0]]}]',
      'garbage',
      '451-["x",{"_placeholder":true,"num":9}]',
      '2probe',
      '',
    ]) {
      if (raw.readyState === WebSocket.OPEN) raw.send(frame);
    }
    if (raw.readyState === WebSocket.OPEN) raw.send(Buffer.from([0xff, 0x00, 0x13, 0x37]));
    await sleep(200);
    raw.terminate();

    // The room is exactly as it was: same phase, drawer, players and scores; nobody saw a thing.
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const probe = new Player(server.url, 'probe');
    players.push(probe);
    const sync = probe.next<{ ops: unknown[] }>('draw:sync');
    const now: RoomState = await probe.join(a.code);
    expect(now.phase).toBe('drawing');
    expect(now.drawerId).toBe(before.drawerId);
    expect(now.players.filter((p) => p.id !== probe.playerId)).toEqual(before.players);
    expect((await sync).ops).toHaveLength(1);
    const leaked = watcher.received
      .slice(seenBefore)
      .filter((x) => x.event !== 'room:state' && x.event !== 'draw:sync');
    expect(leaked).toEqual([]);
    // And the fuzzers still play normally.
    expect(await watcher.ok('chat:send', { text: 'a normal guess' })).toEqual({
      correct: false,
      close: false,
    });
  });

  it('answers draw packets read off the wire before Socket.IO, malformed ones included, over a raw WebSocket', async () => {
    const raw = new WebSocket(`${server.url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    const acks = new Map<number, { ok: boolean; error?: { code: string } }>();
    let connected!: () => void;
    const ready = new Promise<void>((res) => (connected = res));
    raw.on('message', (data) => {
      const msg = data.toString();
      if (msg.startsWith('0')) raw.send('40');
      else if (msg.startsWith('40')) connected();
      else if (msg.startsWith('43')) {
        const open = msg.indexOf('[');
        acks.set(Number(msg.slice(2, open)), (JSON.parse(msg.slice(open)) as [never])[0]);
      }
    });
    await ready;
    const fast = async () =>
      (await scrapeMetrics(server.url))('game_events_fast_total{kind="draw",service="game-server"}');
    const fast0 = await fast();
    // Engine.IO message `4`, Socket.IO event `2`, the ack id, then the arguments.
    const frames: [number, string, string][] = [
      [1, '["draw:stroke",null]', 'INVALID_PAYLOAD'],
      [2, '["draw:undo",{"x":1}]', 'INVALID_PAYLOAD'],
      [3, '["draw:stroke",{"points":[[2,0]],"color":"#000000","size":1,"tool":"pen"}]', 'INVALID_PAYLOAD'],
      [4, '["draw:nope",{}]', 'INVALID_PAYLOAD'], // not a draw event: Socket.IO's path answers
      [5, '["draw:clear"]', 'BAD_STATE'], // valid, but this socket is in no room
      [6, '["draw:fill",{"x":0.1,"y":0.1,"color":"#123456"},"extra"]', 'BAD_STATE'], // two arguments: Socket.IO's path
      [999_999_999_999_999, '["draw:fill",{"x":0.1,"y":0.1,"color":"#123456"}]', 'BAD_STATE'],
    ];
    for (const [id, args] of frames) raw.send(`42${id}${args}`);
    await until(() => (acks.size === frames.length ? true : undefined), 5000, 'every ack');
    for (const [id, , code] of frames) expect(acks.get(id)).toMatchObject({ ok: false, error: { code } });
    // The five draw events with one argument were answered off the wire; the other two by Socket.IO.
    expect(await fast()).toBe(fast0 + 5);
    // Cut short: Socket.IO's decoder refuses it and closes the connection, as before.
    const closed = new Promise((res) => raw.once('close', res));
    raw.send('427["draw:stroke",{"points":');
    await closed;
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('caps a drawing at MAX_OPS operations until undo or clear', async () => {
    const a = new Player(server.url, 'a');
    const b = new Player(server.url, 'b');
    players.push(a, b);
    await a.create({ drawTimeSec: 240 });
    await b.join(a.code);
    await a.ok('game:start', {});
    const { drawer } = await nthDrawer([a, b], 1);
    await drawer.ok('word:choose', { index: 0 });
    for (let sent = 0; sent < MAX_OPS + 1; sent += 250) {
      const n = Math.min(250, MAX_OPS + 1 - sent);
      const acks = await Promise.all(
        Array.from({ length: n }, () => drawer.call('draw:stroke', VALID['draw:stroke'])),
      );
      expect(acks.every((x) => x.ok)).toBe(true);
    }
    await sleep(100);
    expect(await drawer.call('draw:fill', VALID['draw:fill'])).toMatchObject({
      ok: false,
      error: { code: 'BAD_STATE' },
    });
    const late = new Player(server.url, 'late');
    players.push(late);
    const sync = late.next<{ ops: unknown[] }>('draw:sync');
    await late.join(a.code);
    expect((await sync).ops).toHaveLength(MAX_OPS);
    await drawer.ok('draw:undo', {});
    await drawer.ok('draw:stroke', VALID['draw:stroke']);
    // Full again. A stroke and a clear sent back to back: the store refuses the stroke, and that
    // answer arrives after the clear, which it must not undo (the drawing is empty now).
    const [refused, cleared] = await Promise.all([
      drawer.call('draw:stroke', VALID['draw:stroke']),
      drawer.call('draw:clear'),
    ]);
    expect([refused.ok, cleared.ok]).toEqual([true, true]);
    await sleep(100);
    expect(await drawer.call('draw:stroke', VALID['draw:stroke'])).toEqual({ ok: true, data: null });
    const later = new Player(server.url, 'later');
    players.push(later);
    const synced = later.next<{ ops: unknown[] }>('draw:sync');
    await later.join(a.code);
    expect((await synced).ops).toHaveLength(1);
  });
});
