import { join } from 'node:path';
import { catalog } from '@hybrid/catalog';
import {
  attachConsumers,
  consumeAccountDeletions,
  parseCompleted,
  startServiceConsumer,
  type ScanCompleted,
  type Topology,
} from '@hybrid/queue';
import { withTransaction, type ServiceDefinition } from '@hybrid/service-kit';
import { Type } from '@hybrid/service-kit/schema';
import type pg from 'pg';
import { BADGES, levelOf, xpForScan } from './rules';

export { BADGES, levelOf, xpForScan } from './rules';

export interface CharacterServiceOptions {
  /** @default the platform catalog's exchanges and queues */
  readonly topology?: Topology;
}

/** How long a deleted user's id is kept to refuse late awards (scans that were still in the pipeline). */
const TOMBSTONE_DAYS = 30;

/**
 * Deletes a user's character: totals, XP awards and badges (cascade), and records the id so that
 * a completed scan announced later does not create the character again. Serialised with awards
 * on the character row (taken, or created and taken, as an award does), so an award in progress
 * either commits before and is deleted with the rest, or sees the deletion and stops.
 * Idempotent: deleting again finds nothing. Returns whether there was a character.
 */
export async function deleteCharacter(db: pg.Pool, userId: string): Promise<boolean> {
  return withTransaction(db, async (client) => {
    await client.query('INSERT INTO deleted_users (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING', [
      userId,
    ]);
    const created = await client.query(
      'INSERT INTO characters (user_id) VALUES ($1) ON CONFLICT (user_id) DO NOTHING',
      [userId],
    );
    await client.query('SELECT 1 FROM characters WHERE user_id = $1 FOR UPDATE', [userId]);
    await client.query('DELETE FROM characters WHERE user_id = $1', [userId]);
    await client.query(`DELETE FROM deleted_users WHERE deleted_at < now() - make_interval(days => $1)`, [
      TOMBSTONE_DAYS,
    ]);
    return created.rowCount === 0;
  });
}

// The badge rules as the award function takes them: ids and thresholds in three arrays.
const badgeIds = BADGES.map((b) => b.id);
const badgeScans = BADGES.map((b) => b.minScans);
const badgeCategories = BADGES.map((b) => b.minCategories);

/**
 * Awards the XP of one completed scan, exactly once: the award row keyed by scan id, the
 * character's totals and any new badges commit together, or not at all. One statement: the
 * `award_scan` function (migration 1795400000000) serialises the user's awards on the character
 * row, as a deletion does.
 * Returns false when the scan was awarded before (a redelivered or repeated event), or when the
 * user's account was deleted.
 */
export async function awardScan(db: pg.Pool, e: ScanCompleted): Promise<boolean> {
  const { rows } = await db.query<{ outcome: 'awarded' | 'seen' | 'deleted' }>(
    'SELECT award_scan($1, $2, $3, $4, $5, $6, $7, $8, $9) AS outcome',
    [
      e.userId,
      e.scanId,
      e.category,
      e.completedAt,
      xpForScan(e.category, false),
      xpForScan(e.category, true),
      badgeIds,
      badgeScans,
      badgeCategories,
    ],
  );
  return rows[0]!.outcome === 'awarded';
}

const Badge = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.String(),
  awardedAt: Type.String({ format: 'date-time' }),
});
const Character = Type.Object({
  userId: Type.String(),
  xp: Type.Integer(),
  level: Type.Integer(),
  levelXp: Type.Integer({ description: 'XP at which the current level started.' }),
  nextLevelXp: Type.Integer(),
  scans: Type.Integer(),
  badges: Type.Array(Badge),
  recent: Type.Array(
    Type.Object({
      scanId: Type.String(),
      xp: Type.Integer(),
      category: Type.Union([Type.String(), Type.Null()]),
      awardedAt: Type.String({ format: 'date-time' }),
    }),
  ),
});

export function createCharacterService(opts: CharacterServiceOptions = {}): ServiceDefinition {
  const topology = opts.topology ?? catalog;
  return {
    workload: 'character',
    migrationsDir: join(__dirname, '..', 'migrations'),
    routes: (app, ctx) => {
      attachConsumers(app, ctx);
      const db = ctx.pg!;
      app.get(
        '/',
        {
          config: { auth: 'required' },
          schema: { summary: "The user's XP, level and badges", response: { 200: Character } },
        },
        async (req) => {
          const userId = req.user!.id;
          const [c, b, r] = await Promise.all([
            db.query<{ xp: number; scans: number }>('SELECT xp, scans FROM characters WHERE user_id = $1', [
              userId,
            ]),
            db.query<{ badge: string; awarded_at: Date }>(
              'SELECT badge, awarded_at FROM badges WHERE user_id = $1 ORDER BY awarded_at, badge',
              [userId],
            ),
            db.query<{ scan_id: string; xp: number; category: string | null; awarded_at: Date }>(
              'SELECT scan_id, xp, category, awarded_at FROM xp_awards WHERE user_id = $1 ORDER BY awarded_at DESC LIMIT 10',
              [userId],
            ),
          ]);
          const xp = c.rows[0]?.xp ?? 0;
          return {
            userId,
            xp,
            ...levelOf(xp),
            scans: c.rows[0]?.scans ?? 0,
            badges: b.rows.flatMap((row) => {
              const spec = BADGES.find((x) => x.id === row.badge);
              return spec
                ? [
                    {
                      id: spec.id,
                      name: spec.name,
                      description: spec.description,
                      awardedAt: row.awarded_at.toISOString(),
                    },
                  ]
                : [];
            }),
            recent: r.rows.map((row) => ({
              scanId: row.scan_id,
              xp: row.xp,
              category: row.category,
              awardedAt: row.awarded_at.toISOString(),
            })),
          };
        },
      );
    },
    start: async (ctx) => {
      await startServiceConsumer(ctx, topology, {
        queue: 'q.batch',
        prefetch: 16,
        parse: parseCompleted,
        handle: async (e) => {
          await awardScan(ctx.pg!, e);
        },
      });
      await consumeAccountDeletions(ctx, topology, {
        queue: 'q.account.character',
        what: 'character',
        forget: async (e) => ({ had: await deleteCharacter(ctx.pg!, e.userId) }),
      });
    },
  };
}

export const characterService = createCharacterService();
