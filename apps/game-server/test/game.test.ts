import type { RoomState } from '@hybrid/game-protocol';
import {
  createTestDatabase,
  eventually,
  scrapeMetrics,
  testUrls,
  uniqueName,
  type TestDatabase,
} from '@hybrid/tools/test-env';
import { Redis } from 'ioredis';
import { drawerPoints } from '../src/game';
import { dropRedisPrefix, nthDrawer, Player, sleep, startServer, until, type TestServer } from './helpers';

type TurnEnd = { word: string; gained: Record<string, number>; scores: Record<string, number> };
type GameEnd = { ranking: { playerId: string; nickname: string; score: number }[] };

const WORDS = ['zebracorn', 'moonpickle', 'quasarbanana', 'velvetanvil', 'glimmertoad', 'paperkraken'];
const stroke = (x = 0.5) => ({
  points: [
    [x, 0.1],
    [x, 0.2],
  ],
  color: '#112233',
  size: 4,
  tool: 'pen',
});

describe('DrawGuess over Redis and PostgreSQL', () => {
  let db: TestDatabase;
  let server: TestServer;
  const prefix = `${uniqueName('dg_game')}:`;
  const players: Player[] = [];
  const player = (name: string, origin?: string, localAddress?: string) => {
    const p = new Player(server.url, name, {
      ...(origin ? { origin } : {}),
      ...(localAddress ? { localAddress } : {}),
    });
    players.push(p);
    return p;
  };

  beforeAll(async () => {
    db = await createTestDatabase('game');
    server = await startServer({
      REDIS_URL: testUrls.redis,
      REDIS_KEY_PREFIX: prefix,
      DATABASE_URL: db.url,
      CHOOSE_TIME_SEC: '5',
    });
  });
  afterEach(() => {
    for (const p of players.splice(0)) p.close();
  });
  afterAll(async () => {
    await server?.close();
    await dropRedisPrefix(testUrls.redis, prefix);
    await db?.drop();
  });

  async function room(n: number, settings: Record<string, unknown> = {}): Promise<Player[]> {
    const host = player('host');
    await host.create({ customWords: WORDS, customWordsOnly: true, ...settings });
    const ps = [host];
    for (let i = 1; i < n; i++) {
      const p = player(`p${i}`);
      await p.join(host.code);
      ps.push(p);
    }
    return ps;
  }

  it.each([
    [3, 2],
    [4, 1],
  ])(
    'plays a full game with %i players and %i rounds: turns, hidden answers, close guesses, scoring, results',
    async (n, rounds) => {
      const ps = await room(n, { rounds, hints: 0, drawTimeSec: 60 });
      const [host, p1] = ps as [Player, Player];
      expect(await p1.call('game:start', {})).toMatchObject({ ok: false, error: { code: 'NOT_HOST' } });
      await host.ok('game:start', {});
      const drawers: string[] = [];
      const gainedTotal: Record<string, number> = {};
      for (let turn = 1; turn <= n * rounds; turn++) {
        const { drawer, words } = await nthDrawer(ps, turn);
        drawers.push(drawer.playerId);
        const guessers = ps.filter((p) => p !== drawer);
        const marks = new Map(guessers.map((g) => [g, g.received.length]));
        expect(await guessers[0]!.call('word:choose', { index: 0 })).toMatchObject({
          ok: false,
          error: { code: 'NOT_DRAWER' },
        });
        const { word } = await drawer.ok<{ word: string }>('word:choose', { index: 1 });
        expect(words).toContain(word);
        expect(await guessers[0]!.call('draw:stroke', stroke())).toMatchObject({
          error: { code: 'NOT_DRAWER' },
        });
        await drawer.ok('draw:stroke', stroke());
        const [first, second, ...rest] = guessers as [Player, Player, ...Player[]];
        // One edit away: close, told to the sender only, broadcast as an ordinary message.
        const near = `${word.slice(0, -1)}x`;
        const otherSees = second.next<{ text: string }>('chat:message', (m) => m.text === near);
        expect(await first.ok('chat:send', { text: near })).toEqual({ correct: false, close: true });
        await otherSees;
        const turnEnd = second.next<TurnEnd>('turn:end');
        expect(await first.ok('chat:send', { text: `  ${word.toUpperCase()} ` })).toEqual({
          correct: true,
          close: false,
        });
        await sleep(30);
        for (const g of [second, ...rest])
          expect(await g.ok('chat:send', { text: word })).toEqual({ correct: true, close: false });
        const end = await turnEnd;
        expect(end.word).toBe(word);
        // The word reached no guesser before the turn ended, in any event.
        for (const g of guessers) {
          const upToEnd = g.received.slice(
            marks.get(g)!,
            g.received.findIndex((r, i) => i >= marks.get(g)! && r.event === 'turn:end'),
          );
          expect(JSON.stringify(upToEnd).toLowerCase()).not.toContain(word);
        }
        // Earlier guesses score more; both within the documented range.
        const a = end.gained[first.playerId]!;
        const b = end.gained[second.playerId]!;
        expect(a).toBeGreaterThanOrEqual(b);
        expect(b).toBeGreaterThanOrEqual(50);
        expect(a).toBeLessThanOrEqual(300);
        // The drawer: everyone guessed fast, so close to the 200 maximum.
        const d = end.gained[drawer.playerId]!;
        expect(d).toBeGreaterThan(drawerPoints(n - 1, Array(n - 1).fill(0.9)));
        expect(d).toBeLessThanOrEqual(200);
        for (const [id, g] of Object.entries(end.gained)) gainedTotal[id] = (gainedTotal[id] ?? 0) + g;
        expect(end.scores).toEqual(gainedTotal);
      }
      const over = await host.seen<GameEnd>('game:end');
      // Every player drew once per round.
      for (const p of ps) expect(drawers.filter((d) => d === p.playerId)).toHaveLength(rounds);
      expect(over.ranking.map((r) => r.score)).toEqual(
        [...over.ranking.map((r) => r.score)].sort((x, y) => y - x),
      );
      for (const r of over.ranking) expect(r.score).toBe(gainedTotal[r.playerId]);
      // The final scores reach PostgreSQL and the leaderboard.
      await eventually(
        async () => {
          const res = await fetch(`${server.url}/api/leaderboard?limit=50`);
          const rows = (await res.json()) as { nickname: string; score: number }[];
          return over.ranking.every((r) =>
            rows.some((x) => x.nickname === r.nickname && x.score === r.score),
          );
        },
        10000,
        'results in the leaderboard',
      );
    },
  );

  it('relays strokes, fill, undo and clear to the others, and a late joiner gets the drawing so far', async () => {
    const ps = await room(3, { rounds: 1, drawTimeSec: 60 });
    await ps[0]!.ok('game:start', {});
    const { drawer } = await nthDrawer(ps, 1);
    const watcher = ps.find((p) => p !== drawer)!;
    await drawer.ok('word:choose', { index: 0 });
    const got = watcher.next<{ playerId: string; color: string }>('draw:fill');
    await drawer.ok('draw:stroke', stroke(0.1));
    await drawer.ok('draw:stroke', stroke(0.2));
    await drawer.ok('draw:stroke', stroke(0.3));
    await drawer.ok('draw:fill', { x: 0.5, y: 0.5, color: '#ff0000' });
    expect(await got).toMatchObject({ playerId: drawer.playerId, color: '#ff0000' });
    const undo = watcher.next<{ playerId: string }>('draw:undo');
    await drawer.ok('draw:undo', {});
    expect(await undo).toEqual({ playerId: drawer.playerId });
    expect(watcher.events('draw:stroke')).toHaveLength(3);
    expect(drawer.events('draw:stroke')).toHaveLength(0);
    // A fourth player joins mid-turn: the masked state and the drawing so far (undo applied).
    const late = player('late');
    const sync = late.next<{ ops: { type: string; stroke?: { points: number[][] } }[] }>('draw:sync');
    const state = await late.join(ps[0]!.code);
    expect(state.phase).toBe('drawing');
    expect(state.hint).toMatch(/^_+$/);
    const { ops } = await sync;
    expect(ops.map((o) => o.type)).toEqual(['stroke', 'stroke', 'stroke']);
    expect(ops.map((o) => o.stroke!.points[0]![0])).toEqual([0.1, 0.2, 0.3]);
    // The late joiner also receives what comes next, then clear empties the drawing.
    const cleared = late.next('draw:clear');
    await drawer.ok('draw:clear', {});
    await cleared;
    const later = player('later');
    const sync2 = later.next<{ ops: unknown[] }>('draw:sync');
    await later.join(ps[0]!.code);
    expect((await sync2).ops).toEqual([]);
    // An undo with nothing left to undo is answered and changes nothing: drawing goes on.
    await drawer.ok('draw:undo', {});
    const after = later.next<{ points: number[][] }>('draw:stroke');
    await drawer.ok('draw:stroke', stroke(0.4));
    expect((await after).points[0]![0]).toBe(0.4);
    await drawer.ok('draw:fill', { x: 0.25, y: 0.75, color: '#00ff00' });
    // What is stored is what was drawn, without the relay's playerId.
    const last = player('last');
    const sync3 = last.next<{ ops: unknown[] }>('draw:sync');
    await last.join(ps[0]!.code);
    expect((await sync3).ops).toEqual([
      { type: 'stroke', stroke: stroke(0.4) },
      { type: 'fill', fill: { x: 0.25, y: 0.75, color: '#00ff00' } },
    ]);
  });

  it("keeps a drawer's draw events in order, with this replica's copy of the room fresh or invalidated", async () => {
    const ps = await room(2, { rounds: 1, drawTimeSec: 60 });
    // A third player stays on HTTP long-polling: relays reach it through Engine.IO's own path.
    const poller = new Player(server.url, 'poller', { transports: ['polling'] });
    players.push(poller);
    await poller.join(ps[0]!.code);
    ps.push(poller);
    await ps[0]!.ok('game:start', {});
    const { drawer } = await nthDrawer(ps, 1);
    const watchers = ps.filter((p) => p !== drawer);
    expect(watchers).toContain(poller);
    await drawer.ok('word:choose', { index: 0 });
    const metric = async (series: string) => (await scrapeMetrics(server.url))(series);
    const reads = () => metric('game_draw_room_reads_total{cause="stale",service="game-server"}');
    const missing = () => metric('game_draw_room_reads_total{cause="missing",service="game-server"}');
    const queued = () => metric('game_draw_room_reads_total{cause="queued",service="game-server"}');
    const fast0 = await metric('game_events_fast_total{kind="draw",service="game-server"}');
    const read0 = (await reads()) + (await missing());
    const queued0 = await queued();
    // A burst sent without waiting for acks; what the watcher sees must be the same sequence.
    const burst = async (x: number) => {
      const sent: [string, unknown][] = [
        ['draw:stroke', stroke(x)],
        ['draw:undo', {}],
        ['draw:stroke', stroke(x + 0.01)],
        ['draw:fill', { x, y: 0.5, color: '#00ff00' }],
        ['draw:clear', {}],
        ['draw:stroke', stroke(x + 0.02)],
      ];
      const from = watchers.map((w) => w.received.length);
      const last = watchers.map((w) =>
        w.next('draw:stroke', (p: { points: number[][] }) => p.points[0]![0] === x + 0.02),
      );
      const acks = await Promise.all(sent.map(([e, payload]) => drawer.call(e, payload)));
      expect(acks.every((a) => a.ok)).toBe(true);
      await Promise.all(last);
      watchers.forEach((w, i) => {
        const seen = w.received.slice(from[i]).filter((r) => r.event.startsWith('draw:'));
        expect(seen.map((r) => r.event)).toEqual(sent.map(([e]) => e));
        expect(seen.map((r) => (r.payload as { points?: number[][] }).points?.[0]?.[0])).toEqual([
          x,
          undefined,
          x + 0.01,
          undefined,
          undefined,
          x + 0.02,
        ]);
      });
    };
    await burst(0.1);
    // All of it was handled as it came off the wire, from this replica's copy of the room.
    expect(await metric('game_events_fast_total{kind="draw",service="game-server"}')).toBeGreaterThanOrEqual(
      fast0 + 6,
    );
    expect((await reads()) + (await missing())).toBe(read0);
    // Another replica announcing a change to the room drops this replica's copy: the first event
    // of the next burst reads the room fresh and the rest queue behind it.
    const pub = new Redis(testUrls.redis);
    try {
      await pub.publish(`${prefix}room-changed`, `another-replica ${drawer.roomId}`);
      await sleep(200);
      await burst(0.5);
    } finally {
      pub.disconnect();
    }
    expect((await reads()) + (await missing())).toBe(read0 + 1);
    expect(await queued()).toBeGreaterThan(queued0);
    // The drawing kept in Redis is the burst's outcome: the last stroke, after the clear.
    const late = player('late');
    const sync = late.next<{ ops: { stroke?: { points: number[][] } }[] }>('draw:sync');
    await late.join(drawer.code);
    expect((await sync).ops.map((o) => o.stroke?.points[0]?.[0])).toEqual([0.52]);
  });

  it('reveals hints at even intervals, picks a word for a drawer who does not choose, and ends on time', async () => {
    const fast = await startServer({
      REDIS_URL: testUrls.redis,
      REDIS_KEY_PREFIX: `${prefix}timed:`,
      GAME_TIME_SCALE: '0.1',
      CHOOSE_TIME_SEC: '3',
    });
    try {
      const a = new Player(fast.url, 'a');
      const b = new Player(fast.url, 'b');
      players.push(a, b);
      await a.create({
        rounds: 1,
        drawTimeSec: 20,
        hints: 3,
        customWords: ['abcdefgh'],
        customWordsOnly: true,
      });
      await b.join(a.code);
      await a.ok('game:start', {});
      const { drawer } = await nthDrawer([a, b], 1);
      const guesser = drawer === a ? b : a;
      // Nobody chooses: after 0.3 s a word is picked and the turn starts.
      const start = await guesser.next<{ hint: string; endsAt: number }>('turn:start');
      expect(start.hint).toBe('________');
      const drawerStart = await drawer.seen<{ hint: string }>('turn:start');
      expect(drawerStart.hint).toBe('abcdefgh');
      const end = await guesser.next<TurnEnd>('turn:end', () => true, 6000);
      expect(end.word).toBe('abcdefgh');
      const hints = guesser.events('hint') as { hint: string }[];
      // 3 hints over 2 s: at 0.5, 1.0 and 1.5 s, one more letter each.
      expect(hints.map((h) => [...h.hint].filter((c) => c !== '_').length)).toEqual([1, 2, 3]);
      for (const h of hints)
        for (const [i, c] of [...h.hint].entries()) if (c !== '_') expect(c).toBe('abcdefgh'[i]);
      expect(drawer.events('hint')).toHaveLength(0);
      expect(end.gained[guesser.playerId]).toBe(0);
      expect(end.gained[drawer.playerId]).toBe(0);
    } finally {
      await fast.close();
      await dropRedisPrefix(testUrls.redis, `${prefix}timed:`);
    }
  });

  it('reattaches a reconnecting player by sessionToken with the score intact, and passes the host on', async () => {
    const ps = await room(3, { rounds: 1, drawTimeSec: 60 });
    const [host, p1, p2] = ps as [Player, Player, Player];
    await host.ok('game:start', {});
    const { drawer, words } = await nthDrawer(ps, 1);
    await drawer.ok('word:choose', { index: 0 });
    const guesser = ps.find((p) => p !== drawer && p !== host) ?? ps.find((p) => p !== drawer)!;
    await guesser.ok('chat:send', { text: words[0] });
    const scored = (
      await until(
        () => host.lastState()?.players.find((p) => p.id === guesser.playerId && p.score > 0),
        5000,
        'score',
      )
    ).score;
    // The guesser drops, then comes back on a new connection with the session token.
    guesser.close();
    await until(
      () => host.lastState()?.players.find((p) => p.id === guesser.playerId && !p.connected),
      5000,
      'away',
    );
    const back = player(guesser.nickname);
    const state = await back.join(host.code, guesser.sessionToken);
    expect(back.playerId).toBe(guesser.playerId);
    const me = state.players.find((p) => p.id === guesser.playerId)!;
    expect(me).toMatchObject({ connected: true, score: scored, guessed: true });
    expect(state.players).toHaveLength(3);
    // The host leaves: the host passes to a connected player.
    const watcher = [p1, p2].find((p) => p !== guesser)!;
    const next = watcher.next<RoomState>('room:state', (s) => s.hostId !== host.playerId);
    const backSees = back.next<RoomState>('room:state', (s) => s.hostId !== host.playerId);
    await host.ok('room:leave', {});
    const st = await next;
    expect(st.players.some((p) => p.id === host.playerId)).toBe(false);
    expect([p1.playerId, p2.playerId]).toContain(st.hostId);
    expect((await backSees).hostId).toBe(st.hostId);
    expect(await host.call('chat:send', { text: 'gone' })).toMatchObject({ error: { code: 'BAD_STATE' } });
  });

  it('kicks a player by majority vote of the connected players', async () => {
    const ps = await room(4);
    const [a, b, c, d] = ps as [Player, Player, Player, Player];
    expect(await a.call('kick:vote', { playerId: a.playerId })).toMatchObject({
      error: { code: 'BAD_STATE' },
    });
    expect(await a.call('kick:vote', { playerId: 'nobody' })).toMatchObject({ error: { code: 'NOT_FOUND' } });
    expect(await a.ok('kick:vote', { playerId: d.playerId })).toEqual({ votes: 1, needed: 2, kicked: false });
    const kicked = d.next<{ playerId: string }>('player:kicked');
    const seen = c.next<RoomState>('room:state', (s) => !s.players.some((p) => p.id === d.playerId));
    expect(await b.ok('kick:vote', { playerId: d.playerId })).toEqual({ votes: 2, needed: 2, kicked: true });
    expect(await kicked).toEqual({ playerId: d.playerId });
    expect((await seen).players).toHaveLength(3);
    // The kicked socket no longer acts in the room: it is told it is not in it.
    expect((await d.call('chat:send', { text: 'hello?' })).ok).toBe(false);
    for (const [event, payload] of [
      ['draw:stroke', stroke()],
      ['word:choose', { index: 0 }],
    ] as const)
      expect(await d.call(event, payload)).toMatchObject({ ok: false, error: { code: 'NOT_FOUND' } });
    const before = c.events('chat:message').length;
    await a.ok('chat:send', { text: 'still here' });
    await c.next('chat:message');
    expect(c.events('chat:message')).toHaveLength(before + 1);
    expect(d.events('chat:message')).toHaveLength(0);
  });

  it('takes one seat for two joins sent at once from one socket, and frees it when the socket goes', async () => {
    const b = player('hostB');
    await b.create({});
    const c = player('hostC');
    await c.create({});
    const x = player('x');
    await x.connected();
    const [j1, j2] = await Promise.all([
      x.call('room:join', { code: b.code, nickname: 'x' }),
      x.call('room:join', { code: c.code, nickname: 'x' }),
    ]);
    expect([j1.ok, j2.ok]).toEqual([true, true]);
    const xc = (j2 as { data: { playerId: string } }).data.playerId;
    // The second join moved x from B to C: B has no seat of x's left.
    await b.seen<RoomState>('room:state', (st) => st.players.length === 1);
    const away = c.next<RoomState>('room:state', (st) => st.players.some((p) => p.id === xc && !p.connected));
    x.close();
    await away;
    const st = await b.ok<{ state: RoomState }>('room:join', { code: b.code, nickname: 'hostB' });
    expect(st.state.players.map((p) => [p.nickname, p.connected])).toEqual([['hostB', true]]);
  });

  it('keeps a player in their room and game when a join elsewhere is refused', async () => {
    const [a0, a1, p] = (await room(3)) as [Player, Player, Player];
    await a0.ok('game:start', {});
    await a0.seen<RoomState>('room:state', (st) => st.phase === 'choosing');
    const f0 = player('f0');
    await f0.create({ maxPlayers: 2 });
    await player('f1').join(f0.code);
    expect(await p.call('room:join', { code: f0.code, nickname: 'p' })).toMatchObject({
      ok: false,
      error: { code: 'ROOM_FULL' },
    });
    // Still seated and connected, and the game goes on.
    const st = await p.ok<{ state: RoomState }>('room:join', {
      code: a0.code,
      nickname: 'p',
      sessionToken: p.sessionToken,
    });
    expect(st.state.phase).toBe('choosing');
    expect(st.state.players.find((q) => q.id === p.playerId)).toMatchObject({ connected: true });
    expect(a1.lastState()?.phase).not.toBe('game-end');
    expect(await p.ok('chat:send', { text: 'still here' })).toEqual({ correct: false, close: false });
  });

  it('lets a player who was away when the round began draw in it once back', async () => {
    const [host, p1, p2] = (await room(3, { rounds: 1, hints: 0, drawTimeSec: 60 })) as [
      Player,
      Player,
      Player,
    ];
    const away = host.next<RoomState>('room:state', (st) =>
      st.players.some((q) => q.id === p2.playerId && !q.connected),
    );
    p2.close();
    await away;
    await host.ok('game:start', {});
    const back = player('p2');
    await back.join(host.code, p2.sessionToken);
    expect(back.playerId).toBe(p2.playerId);
    const ps = [host, p1, back];
    let third: Promise<RoomState> | undefined;
    for (let turn = 1; turn <= 2; turn++) {
      const { drawer } = await nthDrawer(ps, turn);
      const { word } = await drawer.ok<{ word: string }>('word:choose', { index: 0 });
      // What follows the second turn, waited for before that turn can end.
      if (turn === 2)
        third = host.next<RoomState>(
          'room:state',
          (st) => st.phase === 'choosing' || st.phase === 'game-end',
        );
      const ended = host.next('turn:end');
      for (const g of ps.filter((q) => q !== drawer)) await g.ok('chat:send', { text: word });
      await ended;
    }
    const st = await third!;
    expect([st.phase, st.round, st.drawerId]).toEqual(['choosing', 1, p2.playerId]);
  });

  it("refuses a kicked player's address a new seat, and keeps the seats already taken from it", async () => {
    const [a, b, c] = (await room(3)) as [Player, Player, Player];
    // d and e play from one machine (or one home network): 127.0.0.4.
    const d = player('d', undefined, '127.0.0.4');
    const e = player('e', undefined, '127.0.0.4');
    await d.join(a.code);
    await e.join(a.code);
    await a.ok('kick:vote', { playerId: d.playerId });
    await b.ok('kick:vote', { playerId: d.playerId });
    expect(await c.ok('kick:vote', { playerId: d.playerId })).toEqual({ votes: 3, needed: 3, kicked: true });

    // Neither the kicked socket nor a fresh one from that address gets a seat again.
    const refused = { ok: false, error: { code: 'BAD_STATE', message: 'you were voted out of this room' } };
    expect(await d.call('room:join', { code: a.code, nickname: 'd again' })).toEqual(refused);
    const d2 = player('d2', undefined, '127.0.0.4');
    await d2.connected();
    expect(await d2.call('room:join', { code: a.code, nickname: 'not d' })).toEqual(refused);

    // e, seated before the kick, comes back to the same seat with its session token.
    e.socket.disconnect();
    const e2 = player('e', undefined, '127.0.0.4');
    const st = await e2.join(a.code, e.sessionToken);
    expect(e2.playerId).toBe(e.playerId);
    expect(st.players.map((p) => p.id).sort()).toEqual([a, b, c, e].map((p) => p.playerId).sort());

    // Another address joins as usual, and the ban is for this room only.
    const f = player('f', undefined, '127.0.0.5');
    await f.join(a.code);
    const other = player('host2', undefined, '127.0.0.4');
    await other.create({});
    expect(other.code).not.toBe(a.code);
  });

  it('rate-limits strokes and chat separately with RATE_LIMITED', async () => {
    const ps = await room(2, { drawTimeSec: 60 });
    await ps[0]!.ok('game:start', {});
    const { drawer } = await nthDrawer(ps, 1);
    const other = ps.find((p) => p !== drawer)!;
    await drawer.ok('word:choose', { index: 0 });
    const acks = await Promise.all(Array.from({ length: 300 }, () => drawer.call('draw:stroke', stroke())));
    const accepted = acks.filter((r) => r.ok).length;
    const limited = acks.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED').length;
    expect(accepted + limited).toBe(300);
    expect(limited).toBeGreaterThan(100);
    expect(accepted).toBeGreaterThanOrEqual(120);
    await until(
      () => (other.events('draw:stroke').length === accepted ? true : undefined),
      5000,
      'strokes relayed',
    );
    await sleep(100);
    expect(other.events('draw:stroke')).toHaveLength(accepted);
    // The chat bucket is separate: still open after the stroke bucket ran dry.
    expect((await drawer.call('chat:send', { text: 'hi' })).ok).toBe(true);
    const chats = await Promise.all(
      Array.from({ length: 20 }, (_, i) => other.call('chat:send', { text: `m${i}` })),
    );
    expect(chats.filter((r) => !r.ok && r.error.code === 'RATE_LIMITED').length).toBeGreaterThanOrEqual(10);
  });

  it('drops a socket that sends an oversized payload and keeps serving the others', async () => {
    const ps = await room(2);
    const [a, b] = ps as [Player, Player];
    const gone = new Promise<string>((r) => b.socket.once('disconnect', (reason) => r(reason)));
    (b.socket as unknown as { emit: (...x: unknown[]) => void }).emit(
      'chat:send',
      { text: 'x'.repeat(100_000) },
      () => undefined,
    );
    expect(await gone).toMatch(/transport/);
    const st = await a.seen<RoomState>('room:state', (s) =>
      s.players.some((p) => p.id === b.playerId && !p.connected),
    );
    expect(st.players).toHaveLength(2);
    expect(await a.ok('chat:send', { text: 'still fine' })).toEqual({ correct: false, close: false });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  });

  it('allows only listed origins for Socket.IO and HTTP CORS', async () => {
    const good = player('good', 'http://allowed.test');
    await good.connected();
    const evil = player('evil', 'http://evil.test');
    await expect(evil.connected()).rejects.toThrow();
    const ok = await fetch(`${server.url}/api/rooms`, { headers: { origin: 'http://allowed.test' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://allowed.test');
    const bad = await fetch(`${server.url}/api/rooms`, { headers: { origin: 'http://evil.test' } });
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${server.url}/api/leaderboard`, {
      method: 'OPTIONS',
      headers: { origin: 'http://evil.test' },
    });
    expect(pre.status).toBe(403);
  });
});
