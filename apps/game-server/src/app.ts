import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRedis, HttpError, Json, runMigrations, type ServiceDefinition } from '@hybrid/service-kit';
import type { Redis } from 'ioredis';
import type { Timing } from './game';
import { Results } from './results';
import { GameServer, originAllowed } from './server';
import { createCoalescingAdapter } from './coalescing-adapter';
import { MemoryStore, RedisStore, type Store } from './store';

const pkgDir = join(__dirname, '..');
const version = (JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')) as { version: string })
  .version;

// Route schemas in plain JSON Schema: the game server, which has a memory budget, does not load
// TypeBox.
const { string: str, integer: int, number: num, object, array: arrayOf } = Json;

const RoomSummary = object({
  roomId: str,
  code: str,
  players: int,
  maxPlayers: int,
  language: str,
  rounds: int,
});
const Status = object({
  service: str,
  version: str,
  uptimeSec: num,
  mode: object({ rooms: str, results: str }),
  rooms: int,
  players: int,
  connectedPlayers: int,
  localSockets: int,
  redis: str,
  postgres: str,
  outboxPending: int,
  /** Resident memory and the live JavaScript heap, in MiB. */
  memory: object({ rssMb: num, heapUsedMb: num }),
});
const LeaderboardEntry = object({
  nickname: str,
  score: int,
  rank: int,
  finishedAt: str,
});

/**
 * The game server as a service-kit service: the kit builds the fastify app from the catalog entry
 * (health, readiness, metrics, OpenAPI, config, clients); this adds the REST routes and attaches
 * Socket.IO to the same HTTP server. A new definition per build keeps test instances apart.
 */
export function createGameService(): ServiceDefinition & { game: () => GameServer | undefined } {
  let game: GameServer | undefined;
  let results: Results | undefined;
  let store: Store | undefined;
  const started = Date.now();

  return {
    workload: 'game-server',
    version,
    // A public game server with a memory budget (120 MB at 1,000 clients): no Swagger UI, whose
    // modules cost about 3.5 MB of RSS. /openapi.json still describes the REST routes.
    docsUi: false,
    game: () => game,
    // PostgreSQL being down must not stop the game: results wait in the outbox, so readiness
    // reports PostgreSQL without failing on it (Redis, when configured, stays a hard check).
    checks: () => ({ postgres: async () => results?.state ?? 'disabled' }),
    routes: async (app, ctx) => {
      const { config, log } = ctx;
      const redisUrl = config.optionalString('REDIS_URL');
      const databaseUrl = config.optionalString('DATABASE_URL');
      const prefix = config.string('REDIS_KEY_PREFIX');
      const extra: Redis[] = [];
      let relay: ReturnType<typeof createCoalescingAdapter> | undefined;
      if (redisUrl && ctx.redis) {
        const sub = createRedis(redisUrl, log);
        const adapterSub = createRedis(redisUrl, log);
        // The store's commands and the adapter's publishes share one auto-pipelined connection: the
        // drawing writes and the relays of one event-loop turn reach Redis in one write, where two
        // connections made two writes, each waking Redis. (The key prefix applies to keys, not to
        // the adapter's channels, which carry the prefix in their names.)
        const hot = createRedis(redisUrl, log, {
          keyPrefix: config.string('REDIS_KEY_PREFIX'),
          enableAutoPipelining: true,
        });
        extra.push(sub, adapterSub, hot);
        store = new RedisStore(hot, sub, prefix);
        relay = createCoalescingAdapter(hot, adapterSub, { key: `${prefix}socket.io` });
      } else {
        store = new MemoryStore();
      }
      const migrate = databaseUrl
        ? () => runMigrations(databaseUrl, join(pkgDir, 'migrations'), log)
        : undefined;
      results = new Results(store, ctx.pg, log, migrate);
      const timing: Timing = {
        scale: config.number('GAME_TIME_SCALE'),
        chooseMs: config.number('CHOOSE_TIME_SEC') * 1000,
        turnEndMs: config.number('TURN_END_SEC') * 1000,
        gameEndMs: config.number('GAME_END_SEC') * 1000,
        graceMs: config.number('RECONNECT_GRACE_SEC') * 1000,
      };
      const corsOrigins = config.list('CORS_ORIGINS');
      game = new GameServer(app.server, {
        store,
        results,
        log,
        timing,
        corsOrigins,
        inflight: ctx.inflight,
        metrics: ctx.metrics,
        limits: {
          draw: { rate: config.number('STROKE_RATE'), burst: config.number('STROKE_BURST') },
          chat: { rate: config.number('CHAT_RATE'), burst: config.number('CHAT_BURST') },
          room: { rate: config.number('ROOM_EVENT_RATE'), burst: config.number('ROOM_EVENT_BURST') },
        },
        ...(relay ? { adapter: relay.adapter, relayStats: relay.stats } : {}),
      });
      log.info(
        {
          rooms: store.kind === 'redis' ? 'redis' : 'memory',
          results: databaseUrl ? 'postgres' : 'embedded',
        },
        [
          redisUrl
            ? 'rooms, timers and drawings in Redis (shared by every replica)'
            : 'REDIS_URL unset: in-memory adapter and rooms, this process only (local play)',
          databaseUrl
            ? 'results to PostgreSQL through an outbox'
            : 'DATABASE_URL unset: results in an embedded in-memory leaderboard',
        ].join('; '),
      );

      // Sockets go first on shutdown so their players are marked away (and can rejoin elsewhere).
      app.addHook('preClose', async () => {
        await game?.close();
      });
      ctx.onShutdown(async () => {
        await results?.stop();
        await store?.close();
        // Auto-pipelined commands (the adapter's last publishes) leave on the next turn, while QUIT
        // is written at once: let them go first, or they fail with "Connection is closed".
        await new Promise((r) => setImmediate(r));
        await Promise.allSettled(extra.map((r) => r.quit().catch(() => r.disconnect())));
      });

      app.addHook('onRequest', async (req, reply) => {
        const origin = req.headers.origin;
        if (origin && originAllowed(origin, corsOrigins)) {
          reply.header('access-control-allow-origin', origin);
          reply.header('vary', 'Origin');
        }
      });
      app.options('/api/*', async (req, reply) => {
        const origin = req.headers.origin;
        if (!origin || !originAllowed(origin, corsOrigins)) throw new HttpError(403, 'origin not allowed');
        reply.header('access-control-allow-methods', 'GET, OPTIONS');
        reply.header('access-control-allow-headers', 'content-type');
        reply.header('access-control-max-age', '600');
        return reply.code(204).send();
      });

      app.get(
        '/api/status',
        { schema: { summary: 'Server status', response: { 200: Status } } },
        async () => {
          const s = store!;
          const rooms = await s.allRooms();
          let redis = 'disabled';
          if (s.kind === 'redis')
            redis = await s.ping().then(
              () => 'up',
              () => 'down',
            );
          return {
            service: 'game-server',
            version,
            uptimeSec: Math.round((Date.now() - started) / 1000),
            mode: { rooms: s.kind, results: databaseUrl ? 'postgres' : 'embedded' },
            rooms: rooms.length,
            players: rooms.reduce((n, r) => n + r.players.length, 0),
            connectedPlayers: rooms.reduce((n, r) => n + r.players.filter((p) => p.connected).length, 0),
            localSockets: game!.localSockets(),
            redis,
            postgres: results!.state,
            outboxPending: await results!.pending().catch(() => -1),
            memory: (({ rss, heapUsed }) => ({
              rssMb: Math.round(rss / 1048576),
              heapUsedMb: Math.round(heapUsed / 1048576),
            }))(process.memoryUsage()),
          };
        },
      );

      app.get(
        '/api/rooms',
        {
          schema: {
            summary: 'Public rooms waiting in the lobby',
            response: { 200: arrayOf(RoomSummary) },
          },
        },
        async () => {
          const rooms = await store!.allRooms();
          return rooms
            .filter((r) => r.phase === 'lobby' && !r.settings.isPrivate && r.players.some((p) => p.connected))
            .filter((r) => r.players.length < r.settings.maxPlayers)
            .sort((a, b) => b.createdAt - a.createdAt)
            .slice(0, 100)
            .map((r) => ({
              roomId: r.id,
              code: r.code,
              players: r.players.length,
              maxPlayers: r.settings.maxPlayers,
              language: r.settings.language,
              rounds: r.settings.rounds,
            }));
        },
      );

      app.get(
        '/api/leaderboard',
        {
          schema: {
            summary: 'Best single-game scores',
            querystring: object({ limit: { ...int, minimum: 1, maximum: 100, default: 10 } }),
            response: { 200: arrayOf(LeaderboardEntry) },
          },
        },
        async (req) => {
          try {
            return await results!.leaderboard((req.query as { limit: number }).limit);
          } catch {
            throw new HttpError(503, 'the leaderboard is unavailable while PostgreSQL is unreachable');
          }
        },
      );
    },
    start: () => {
      game?.start();
      results?.start();
    },
  };
}
