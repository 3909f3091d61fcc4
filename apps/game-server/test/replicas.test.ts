import type { RoomState } from '@hybrid/game-protocol';
import { Redis } from 'ioredis';
import {
  createTestDatabase,
  eventually,
  scrapeMetrics,
  testUrls,
  uniqueName,
  type TestDatabase,
} from '@hybrid/tools/test-env';
import { batchChannel } from '../src/coalescing-adapter';
import { roomChannel } from '../src/model';
import { dropRedisPrefix, nthDrawer, Player, startReplica, until, type Replica } from './helpers';

type TurnEnd = { word: string; gained: Record<string, number>; scores: Record<string, number> };
const stroke = {
  points: [
    [0.1, 0.1],
    [0.4, 0.4],
  ],
  color: '#000000',
  size: 3,
  tool: 'pen',
};

/** Two real server processes behind different ports, sharing one Redis prefix and one database. */
describe('two replicas sharing rooms through Redis', () => {
  let db: TestDatabase;
  let r1: Replica;
  let r2: Replica;
  let redis: Redis;
  const prefix = `${uniqueName('dg_rep')}:`;
  const players: Player[] = [];
  const on = (r: Replica, name: string) => {
    const p = new Player(r.url, name);
    players.push(p);
    return p;
  };

  beforeAll(async () => {
    db = await createTestDatabase('replicas');
    const env = {
      REDIS_URL: testUrls.redis,
      REDIS_KEY_PREFIX: prefix,
      DATABASE_URL: db.url,
      GAME_TIME_SCALE: '0.25',
      CHOOSE_TIME_SEC: '8',
      TURN_END_SEC: '0.4',
      LOG_LEVEL: 'warn',
    };
    [r1, r2] = await Promise.all([startReplica(env), startReplica(env)]);
    redis = new Redis(testUrls.redis);
  }, 150000);
  afterEach(() => {
    for (const p of players.splice(0)) p.close();
  });
  afterAll(async () => {
    for (const r of [r1, r2]) if (r && r.child.exitCode === null) r.child.kill('SIGTERM');
    await Promise.all([r1?.exit, r2?.exit]);
    redis?.disconnect();
    await dropRedisPrefix(testUrls.redis, prefix);
    await db?.drop();
  });

  const drawerOf = (ps: Player[], st: RoomState) => ps.find((p) => p.playerId === st.drawerId)!;

  it('shares one room across replicas: state, drawing, chat and guesses', async () => {
    const a = on(r1, 'ann');
    const b = on(r2, 'bob');
    const c = on(r2, 'cid');
    await a.create({
      rounds: 1,
      drawTimeSec: 60,
      customWords: ['lanternfish', 'cobblestone'],
      customWordsOnly: true,
    });
    await b.join(a.code);
    await c.join(a.code);
    const listed = (await (await fetch(`${r2.url}/api/rooms`)).json()) as { code: string }[];
    expect(listed.map((x) => x.code)).toContain(a.code);
    expect(
      (await until(() => (a.lastState()?.players.length === 3 ? a.lastState() : undefined))).players,
    ).toHaveLength(3);
    await a.ok('game:start', {});
    const st = await a.seen<RoomState>('room:state', (s) => s.phase === 'choosing');
    const ps = [a, b, c];
    const drawer = drawerOf(ps, st);
    const { words } = await drawer.seen<{ words: string[] }>('word:choices');
    const { word } = await drawer.ok<{ word: string }>('word:choose', { index: 0 });
    expect(words[0]).toBe(word);
    const guessers = ps.filter((p) => p !== drawer);
    const relayed = Promise.all(guessers.map((g) => g.next('draw:stroke')));
    await drawer.ok('draw:stroke', stroke);
    await relayed;
    const heard = Promise.all(
      ps.filter((p) => p !== guessers[0]).map((p) => p.next<{ text: string }>('chat:message')),
    );
    await guessers[0]!.ok('chat:send', { text: 'is it a fish?' });
    expect((await heard).map((m) => m.text)).toEqual(['is it a fish?', 'is it a fish?']);
    const ended = a.next<TurnEnd>('turn:end');
    for (const g of guessers)
      expect(await g.ok('chat:send', { text: word })).toMatchObject({ correct: true });
    expect((await ended).word).toBe(word);
  });

  /** The relay counters (`game_relay_total`) of a replica. */
  async function relayed(r: Replica): Promise<{ broadcasts: number; messages: number }> {
    const sample = await scrapeMetrics(r.url);
    const n = (kind: string) => sample(`game_relay_total{kind="${kind}",service="game-server"}`);
    return { broadcasts: n('broadcasts'), messages: n('messages') };
  }

  it('relays a burst of drawing to the other replica in order, several broadcasts per Redis message, and stores it in order', async () => {
    const a = on(r1, 'ann');
    const b = on(r2, 'bob');
    await a.create({ rounds: 1, drawTimeSec: 60 });
    await b.join(a.code);
    await a.ok('game:start', {});
    const { drawer } = await nthDrawer([a, b], 1);
    await drawer.ok('word:choose', { index: 0 });
    // The drawer and the watcher are on different replicas.
    const watcher = drawer === a ? b : a;
    const from = drawer === a ? r1 : r2;
    // Garbage on the relay channel is ignored, not fatal.
    for (const junk of [
      'not json',
      '[1,2]',
      '["x",[[null,1,2,3],[{"nsp":"/"},"r",[],{}],7]]',
      '["x",[[{"nsp":"/","type":2,"data":["draw:clear"]},5,[],{}]]]',
      // Encoded relays of the wrong shape, for the watcher's own room: rooms not a list, the room
      // and another, a room that is no string. Were any delivered, the watcher would see a clear.
      ...[5, [roomChannel(a.roomId), 'other'], [7]].map((rooms) =>
        JSON.stringify(['x', [['2["draw:clear"]', rooms, ['s'], {}]]]),
      ),
    ])
      await redis.publish(batchChannel(`${prefix}socket.io`, '/'), junk);
    const before = await relayed(from);
    // Sent without waiting: numbered strokes, an undo after every tenth, a clear after the 30th.
    const sent: string[] = [];
    const calls: Promise<{ ok: boolean }>[] = [];
    for (let i = 0; i < 60; i++) {
      calls.push(drawer.call('draw:stroke', { ...stroke, points: [[i / 100, 0]] }));
      sent.push(`stroke ${i}`);
      if (i % 10 === 9) {
        calls.push(drawer.call('draw:undo', {}));
        sent.push('undo');
      }
      if (i === 29) {
        calls.push(drawer.call('draw:clear', {}));
        sent.push('clear');
      }
    }
    expect((await Promise.all(calls)).every((x) => x.ok)).toBe(true);
    const draws = () =>
      watcher.received
        .filter((r) => r.event.startsWith('draw:'))
        .map((r) =>
          r.event === 'draw:stroke'
            ? `stroke ${Math.round((r.payload as { points: number[][] }).points[0]![0]! * 100)}`
            : r.event.slice(5),
        );
    await until(() => (draws().length >= sent.length ? true : undefined), 8000, 'the whole burst relayed');
    expect(draws()).toEqual(sent);
    const after = await relayed(from);
    expect(after.broadcasts - before.broadcasts).toBeGreaterThanOrEqual(sent.length);
    expect(after.messages - before.messages).toBeLessThan(after.broadcasts - before.broadcasts);
    // A late joiner on the watcher's replica gets the drawing as the operations left it.
    const kept: number[] = [];
    for (const op of sent)
      if (op === 'undo') kept.pop();
      else if (op === 'clear') kept.length = 0;
      else kept.push(Number(op.split(' ')[1]));
    const late = on(drawer === a ? r2 : r1, 'cid');
    const sync = late.next<{ ops: { type: string; stroke: { points: number[][] } }[] }>('draw:sync');
    await late.join(a.code);
    expect((await sync).ops.map((o) => Math.round(o.stroke.points[0]![0]! * 100))).toEqual(kept);
    // The drawing expires with its room even if the room is never removed.
    expect(await redis.ttl(`${prefix}ops:${a.roomId}`)).toBeGreaterThan(3600);
  });

  it('loses nothing when a replica is killed mid-turn: its players rejoin the other with their scores', async () => {
    const a = on(r1, 'ann');
    const b = on(r2, 'bob');
    const c = on(r2, 'cid');
    await a.create({
      rounds: 1,
      drawTimeSec: 10,
      hints: 0,
      customWords: ['trombone', 'hedgerow', 'snowglobe'],
      customWordsOnly: true,
    });
    await b.join(a.code);
    await c.join(a.code);
    // d is on the replica that dies and never comes back.
    const d = on(r2, 'dee');
    await d.join(a.code);
    await a.ok('game:start', {});
    const st = await a.seen<RoomState>('room:state', (s) => s.phase === 'choosing');
    let ps = [a, b, c];
    const drawer = drawerOf(ps, st);
    const { word } = await drawer.ok<{ word: string }>('word:choose', { index: 0 });
    // Someone on the doomed replica scores first.
    const scorer = [b, c].find((p) => p !== drawer)!;
    await scorer.ok('chat:send', { text: word });
    const scored = await until(() =>
      a.lastState()?.players.find((p) => p.id === scorer.playerId && p.score > 0),
    );

    r2.child.kill('SIGKILL');
    await r2.exit;
    // Their clients reconnect to the live replica with their session tokens.
    const b2 = on(r1, 'bob');
    const c2 = on(r1, 'cid');
    const sb = await b2.join(a.code, b.sessionToken);
    await c2.join(a.code, c.sessionToken);
    expect(b2.playerId).toBe(b.playerId);
    expect(c2.playerId).toBe(c.playerId);
    expect(sb.players.find((p) => p.id === scorer.playerId)!.score).toBe(scored.score);
    ps = [a, b2, c2];
    // Each next turn's state is waited for from before the turn that precedes it can end: it comes
    // TURN_END_SEC after that turn's end, which can be sooner than a loaded test sees the acks.
    let choosing = a.next<RoomState>('room:state', (x) => x.phase === 'choosing', 15000);
    // The surviving replica runs the room's timers: the turn ends on time (2.5 s) without the dead one.
    const end = await a.seen<TurnEnd>('turn:end', () => true, 10000);
    expect(end.word).toBe(word);
    expect(end.scores[scorer.playerId]).toBe(scored.score);
    // The game goes on to the end, every turn played on the live replica.
    for (let turn = 2; turn <= 3; turn++) {
      const s = await choosing;
      const d = drawerOf(ps, s);
      const { word: w } = await d.ok<{ word: string }>('word:choose', { index: 0 });
      const done = a.next<TurnEnd>('turn:end');
      if (turn < 3) choosing = a.next<RoomState>('room:state', (x) => x.phase === 'choosing', 10000);
      for (const g of ps.filter((p) => p !== d)) await g.ok('chat:send', { text: w });
      await done;
    }
    const over = await a.seen<{ ranking: { playerId: string; score: number }[] }>(
      'game:end',
      () => true,
      15000,
    );
    // The live replica noticed the dead one stopped heartbeating: its missing player is away.
    await until(
      () => a.lastState()?.players.find((p) => p.id === d.playerId && !p.connected),
      10000,
      'the lost player marked away',
    );
    expect(over.ranking.find((r) => r.playerId === scorer.playerId)!.score).toBeGreaterThanOrEqual(
      scored.score,
    );
    await eventually(
      async () => {
        const rows = (await (await fetch(`${r1.url}/api/leaderboard?limit=100`)).json()) as {
          score: number;
        }[];
        return over.ranking.every((r) => rows.some((x) => x.score === r.score));
      },
      10000,
      'results written',
    );
  });
});
