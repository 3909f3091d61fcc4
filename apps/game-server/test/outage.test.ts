import {
  createTestDatabase,
  eventually,
  startTcpProxy,
  testUrls,
  uniqueName,
  viaProxy,
  type TcpProxy,
  type TestDatabase,
} from '@hybrid/tools/test-env';
import { Client } from 'pg';
import { dropRedisPrefix, Player, playBothTurns, startServer, type TestServer } from './helpers';

type Ranking = { ranking: { playerId: string; nickname: string; score: number }[] };

describe('PostgreSQL outage', () => {
  let db: TestDatabase;
  let proxy: TcpProxy;
  let server: TestServer;
  const prefix = `${uniqueName('dg_outage')}:`;
  const players: Player[] = [];

  beforeAll(async () => {
    db = await createTestDatabase('outage');
    proxy = await startTcpProxy(db.url);
    server = await startServer({
      REDIS_URL: testUrls.redis,
      REDIS_KEY_PREFIX: prefix,
      DATABASE_URL: viaProxy(db.url, proxy),
      CHOOSE_TIME_SEC: '5',
    });
  });
  afterAll(async () => {
    for (const p of players) p.close();
    await server?.close();
    await proxy?.close();
    await dropRedisPrefix(testUrls.redis, prefix);
    await db?.drop();
  });

  const status = async () =>
    (await (await fetch(`${server.url}/api/status`)).json()) as { postgres: string; outboxPending: number };

  /** A one-round game of two players, both guessing right away; resolves with the final ranking. */
  async function playGame(names: [string, string]): Promise<Ranking> {
    const a = new Player(server.url, names[0]);
    const b = new Player(server.url, names[1]);
    players.push(a, b);
    await a.create({ rounds: 1, customWords: ['porcupine', 'teacup'], customWordsOnly: true });
    await b.join(a.code);
    await a.ok('game:start', {});
    await playBothTurns(a, b);
    return a.seen<Ranking>('game:end');
  }

  it('keeps playing while PostgreSQL is down and writes every result once it returns', async () => {
    await eventually(async () => (await status()).postgres === 'up', 10000, 'postgres up');
    proxy.cut();
    const first = await playGame(['amy', 'ben']);
    const second = await playGame(['cat', 'dan']);
    await eventually(async () => (await status()).postgres === 'down', 10000, 'outage noticed');
    expect((await status()).outboxPending).toBe(2);
    const lb = await fetch(`${server.url}/api/leaderboard`);
    expect(lb.status).toBe(503);
    expect(await lb.json()).toEqual({ detail: expect.stringContaining('PostgreSQL') });
    // Readiness does not fail on PostgreSQL: the game goes on.
    expect((await fetch(`${server.url}/ready`)).status).toBe(200);

    proxy.restore();
    await eventually(
      async () => {
        const s = await status();
        return s.postgres === 'up' && s.outboxPending === 0;
      },
      15000,
      'outbox flushed',
    );
    const c = new Client({ connectionString: db.url });
    await c.connect();
    try {
      const { rows } = await c.query<{ nickname: string; score: number }>(
        'SELECT nickname, score FROM game_scores ORDER BY nickname',
      );
      const expected = [...first.ranking, ...second.ranking]
        .map((r) => ({ nickname: r.nickname, score: r.score }))
        .sort((x, y) => x.nickname.localeCompare(y.nickname));
      expect(rows).toEqual(expected);
      const games = await c.query('SELECT count(*)::int AS n FROM game_results');
      expect(games.rows[0].n).toBe(2);
    } finally {
      await c.end();
    }
  });
});
