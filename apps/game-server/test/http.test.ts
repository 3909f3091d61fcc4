import type { RoomState } from '@hybrid/game-protocol';
import { scrapeMetrics, testUrls } from '@hybrid/tools/test-env';
import { Player, playBothTurns, startReplica, startServer, type TestServer } from './helpers';

describe('local play without Redis or PostgreSQL, and the REST side', () => {
  let server: TestServer;
  const players: Player[] = [];

  beforeAll(async () => {
    server = await startServer({ CHOOSE_TIME_SEC: '5', GAME_END_SEC: '0.3' });
  });
  afterAll(async () => {
    for (const p of players) p.close();
    await server?.close();
  });

  const get = async (path: string) => {
    const res = await fetch(`${server.url}${path}`);
    return { status: res.status, body: (await res.json()) as unknown };
  };

  it('says at boot that it runs in memory', async () => {
    const r = await startReplica({ LOG_LEVEL: 'info' });
    try {
      expect(r.output()).toMatch(/REDIS_URL unset: in-memory adapter/);
      expect(r.output()).toMatch(/DATABASE_URL unset: results in an embedded in-memory leaderboard/);
    } finally {
      r.child.kill('SIGTERM');
      expect(await r.exit).toBe(0);
    }
  }, 90000);

  it('serves health, readiness, metrics and status', async () => {
    expect(await get('/health')).toEqual({ status: 200, body: { status: 'ok' } });
    expect((await get('/ready')).status).toBe(200);
    const metrics = await fetch(`${server.url}/metrics`);
    expect(await metrics.text()).toMatch(/process_resident_memory_bytes/);
    const { body } = await get('/api/status');
    expect(body).toMatchObject({
      service: 'game-server',
      mode: { rooms: 'memory', results: 'embedded' },
      redis: 'disabled',
      postgres: 'disabled',
      outboxPending: 0,
    });
    const { rssMb, heapUsedMb } = (body as { memory: { rssMb: number; heapUsedMb: number } }).memory;
    expect(heapUsedMb).toBeGreaterThan(0);
    expect(rssMb).toBeGreaterThan(heapUsedMb);
  });

  it('describes its REST routes in /openapi.json and serves no Swagger UI', async () => {
    const { status, body } = await get('/openapi.json');
    expect(status).toBe(200);
    expect(Object.keys((body as { paths: Record<string, unknown> }).paths)).toEqual(
      expect.arrayContaining(['/api/status', '/api/rooms', '/api/leaderboard']),
    );
    expect((await fetch(`${server.url}/docs/`)).status).toBe(404);
  });

  it('lists public lobby rooms only, plays a game in memory and ranks it on the leaderboard', async () => {
    const a = new Player(server.url, 'alice');
    const b = new Player(server.url, 'bruno');
    const hidden = new Player(server.url, 'hidden');
    players.push(a, b, hidden);
    await a.create({ rounds: 1, customWords: ['kettle'], customWordsOnly: true });
    await hidden.create({ isPrivate: true });
    await b.join(a.code.toLowerCase());
    const rooms = (await get('/api/rooms')).body as { code: string; players: number }[];
    expect(rooms.map((r) => r.code)).toContain(a.code);
    expect(rooms.map((r) => r.code)).not.toContain(hidden.code);
    expect((await get('/api/status')).body).toMatchObject({ rooms: 2, players: 3, connectedPlayers: 3 });

    await a.ok('game:start', {});
    expect((await get('/api/rooms')).body).toEqual([]);
    await playBothTurns(a, b);
    const { ranking } = await a.seen<{ ranking: { nickname: string; score: number }[] }>('game:end');
    const board = (await get('/api/leaderboard?limit=5')).body as {
      nickname: string;
      score: number;
      rank: number;
    }[];
    expect(board.map((x) => [x.nickname, x.score])).toEqual(ranking.map((x) => [x.nickname, x.score]));
    expect(board[0]!.rank).toBe(1);
    // After the final ranking the room returns to the lobby, scores reset.
    const lobby = await a.next<{ phase: string; players: { score: number }[] }>(
      'room:state',
      (s) => s.phase === 'lobby',
    );
    expect(lobby.players.every((p) => p.score === 0)).toBe(true);
  });

  it('answers bad REST input with 422 and unknown rooms with NOT_FOUND', async () => {
    const bad = await get('/api/leaderboard?limit=0');
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ detail: [{ loc: ['query', 'limit'] }] });
    expect((await get('/api/leaderboard?limit=abc')).status).toBe(422);
    const p = new Player(server.url, 'lost');
    players.push(p);
    await p.connected();
    expect(await p.call('room:join', { code: 'ZZZZZZ', nickname: 'lost' })).toMatchObject({
      ok: false,
      error: { code: 'NOT_FOUND' },
    });
    expect(await p.call('game:start', {})).toMatchObject({ ok: false, error: { code: 'BAD_STATE' } });
    expect(await p.call('room:create', { nickname: 'x', settings: { customWordsOnly: true } })).toMatchObject(
      {
        ok: false,
        error: { code: 'INVALID_PAYLOAD' },
      },
    );
    // Every answer is counted by event and outcome; sockets and rooms are gauges.
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const sample = await scrapeMetrics(server.url);
    expect(
      sample('game_client_events_total{event="room:join",outcome="NOT_FOUND",service="game-server"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample('game_client_events_total{event="room:create",outcome="INVALID_PAYLOAD",service="game-server"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(
      sample('game_client_events_total{event="game:start",outcome="ok",service="game-server"}'),
    ).toBeGreaterThanOrEqual(1);
    expect(sample('game_sockets{service="game-server"}')).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/^game_rooms\{phase="lobby",service="game-server"\} \d+/m);
    // The game above relayed room broadcasts and acked events; both went straight to the WebSockets.
    expect(sample('game_frames_direct_total{kind="broadcast",service="game-server"}')).toBeGreaterThan(0);
    expect(sample('game_frames_direct_total{kind="single",service="game-server"}')).toBeGreaterThan(0);
  });

  it('closes the connections on shutdown, so that clients reconnect on their own', async () => {
    const s = await startServer({});
    const p = new Player(s.url, 'p');
    try {
      await p.create({});
      const reason = new Promise<string>((r) => p.socket.once('disconnect', (why) => r(why)));
      await s.close();
      // socket.io-client reconnects after a closed transport, never after "io server disconnect".
      expect(await reason).toBe('transport close');
    } finally {
      p.close();
    }
  });

  it('relays a draw event sent without an ack in its place among the acked ones', async () => {
    const a = new Player(server.url, 'a');
    const b = new Player(server.url, 'b');
    players.push(a, b);
    await a.create({ drawTimeSec: 60 });
    await b.join(a.code);
    await a.ok('game:start', {});
    await a.seen<RoomState>('room:state', (st) => st.phase === 'choosing');
    const drawer = a.lastState()!.drawerId === a.playerId ? a : b;
    const other = drawer === a ? b : a;
    await drawer.ok('word:choose', { index: 0 });
    const cleared = other.next('draw:clear');
    const emit = drawer.socket as unknown as { emit: (...args: unknown[]) => void };
    emit.emit('draw:stroke', { points: [[0.2, 0.2]], color: '#000000', size: 2, tool: 'pen' });
    await drawer.ok('draw:clear');
    await cleared;
    const seen = other.received.map((r) => r.event).filter((e) => e.startsWith('draw:'));
    expect(seen).toEqual(['draw:stroke', 'draw:clear']);
    const late = new Player(server.url, 'late');
    players.push(late);
    const sync = late.next<{ ops: unknown[] }>('draw:sync');
    await late.join(a.code);
    expect((await sync).ops).toEqual([]);
  });

  it("gives one socket one seat: joining with another player's token takes that seat over", async () => {
    const a = new Player(server.url, 'ann');
    const b = new Player(server.url, 'ben');
    players.push(a, b);
    await a.create({});
    await b.join(a.code);
    const annId = a.playerId;
    const bGone = new Promise((r) => b.socket.once('disconnect', r));
    const st = await a.join(a.code, b.sessionToken);
    expect(a.playerId).toBe(b.playerId);
    await bGone;
    const later = await a.seen<RoomState>('room:state', (s) =>
      s.players.every((p) => p.id !== annId || !p.connected),
    );
    expect(later.players.find((p) => p.id === annId)).toMatchObject({ connected: false });
    expect(st.players.find((p) => p.id === b.playerId)).toMatchObject({ connected: true });
  });

  it('refuses to boot on a bad variable with one line naming it', async () => {
    await expect(startReplica({ REDIS_URL: 'not a url', LOG_LEVEL: 'info' })).rejects.toThrow(/REDIS_URL/);
    void testUrls;
  }, 90000);
});
