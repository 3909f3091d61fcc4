import { withTransaction, type Logger } from '@hybrid/service-kit';
import type pg from 'pg';
import type { GameResult } from './model';
import type { Store } from './store';

export interface LeaderboardEntry {
  nickname: string;
  score: number;
  rank: number;
  finishedAt: string;
}

export type DbState = 'up' | 'down' | 'disabled';

/**
 * Final scores: queued in the store's outbox (Redis or memory) the moment a game ends, then
 * written to PostgreSQL by a loop that keeps retrying while PostgreSQL is down. Writes are
 * idempotent by game id, so two replicas flushing the same item write it once. Without
 * DATABASE_URL, results stay in an embedded in-memory leaderboard.
 */
export class Results {
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private migrated = false;
  private readonly embedded: GameResult[] = [];
  state: DbState;

  constructor(
    private readonly store: Store,
    private readonly pool: pg.Pool | undefined,
    private readonly log: Logger,
    private readonly migrate: (() => Promise<unknown>) | undefined,
    private readonly intervalMs = 1000,
  ) {
    this.state = pool ? 'down' : 'disabled';
  }

  start(): void {
    const tick = () => {
      void this.flush().finally(() => {
        if (this.timer) this.timer = setTimeout(tick, this.intervalMs);
      });
    };
    this.timer = setTimeout(tick, 0);
  }

  async stop(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.flushing;
  }

  async record(result: GameResult): Promise<void> {
    if (!this.pool) {
      this.embedded.push(result);
      if (this.embedded.length > 1000) this.embedded.shift();
      return;
    }
    await this.store.outboxPush(JSON.stringify(result));
    void this.flush();
  }

  pending(): Promise<number> {
    return this.pool ? this.store.outboxSize() : Promise.resolve(0);
  }

  /** Writes what waits in the outbox; one run at a time. */
  flush(): Promise<void> {
    return (this.flushing ??= this.flushOnce().finally(() => (this.flushing = undefined)));
  }

  private async flushOnce(): Promise<void> {
    const pool = this.pool;
    if (!pool) return;
    try {
      if (!this.migrated) {
        await this.migrate?.();
        this.migrated = true;
      }
      for (;;) {
        const items = await this.store.outboxPeek(20);
        if (!items.length) break;
        for (const item of items) {
          await this.write(pool, JSON.parse(item) as GameResult);
          await this.store.outboxAck(item);
        }
      }
      if (this.state !== 'up') this.log.info('postgres reachable: results outbox flushed');
      this.state = 'up';
    } catch (err) {
      if (this.state !== 'down') this.log.warn({ err }, 'postgres unreachable: results wait in the outbox');
      this.state = 'down';
    }
  }

  private async write(pool: pg.Pool, r: GameResult): Promise<void> {
    await withTransaction(pool, async (client) => {
      const ins = await client.query(
        `INSERT INTO game_results (id, room_code, language, rounds, player_count, finished_at)
         VALUES ($1, $2, $3, $4, $5, to_timestamp($6 / 1000.0)) ON CONFLICT (id) DO NOTHING`,
        [r.gameId, r.code, r.language, r.rounds, r.players.length, r.finishedAt],
      );
      if (ins.rowCount) {
        for (const p of r.players) {
          await client.query(
            `INSERT INTO game_scores (game_id, player_id, nickname, score, rank) VALUES ($1, $2, $3, $4, $5)`,
            [r.gameId, p.playerId, p.nickname, p.score, p.rank],
          );
        }
      }
    });
  }

  /** Best single-game scores. Throws when PostgreSQL is configured but unreachable. */
  async leaderboard(limit: number): Promise<LeaderboardEntry[]> {
    if (!this.pool) {
      return this.embedded
        .flatMap((g) => g.players.map((p) => ({ ...p, finishedAt: new Date(g.finishedAt).toISOString() })))
        .sort((a, b) => b.score - a.score || a.finishedAt.localeCompare(b.finishedAt))
        .slice(0, limit)
        .map((p) => ({ nickname: p.nickname, score: p.score, rank: p.rank, finishedAt: p.finishedAt }));
    }
    const { rows } = await this.pool.query<{
      nickname: string;
      score: number;
      rank: number;
      finished_at: Date;
    }>(
      `SELECT s.nickname, s.score, s.rank, g.finished_at
         FROM game_scores s JOIN game_results g ON g.id = s.game_id
        ORDER BY s.score DESC, g.finished_at ASC, s.nickname ASC
        LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({
      nickname: r.nickname,
      score: r.score,
      rank: r.rank,
      finishedAt: r.finished_at.toISOString(),
    }));
  }
}
