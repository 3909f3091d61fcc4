// `pnpm bench location`: p50/p99 latency of GET /nearby over loopback HTTP with 100,000 points,
// against the same queries in the same run once the GiST index is dropped (sequential scan).
// Targets (issue 9): indexed p99 <= 10 ms and at least 20x faster than the unindexed reference.
import { cpus, loadavg } from 'node:os';
import { buildService } from '@hybrid/service-kit';
import { createTestDatabase } from '@hybrid/tools/test-env';
import { locationService } from '../src/app';
import { importPoints } from '../src/points';
import { generateSeoulPoints, seededRandom } from '../src/sample';

const POINTS = Number(process.env.BENCH_POINTS ?? 100_000);
const INDEXED_RUNS = 500;
const REFERENCE_RUNS = 40;

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main() {
  const db = await createTestDatabase('bench_location');
  const svc = await buildService(locationService, { env: { LOG_LEVEL: 'warn', DATABASE_URL: db.url } });
  try {
    const pool = svc.ctx.pg!;
    const t0 = performance.now();
    await importPoints(pool, generateSeoulPoints(POINTS, 99));
    await pool.query('VACUUM ANALYZE collection_points');
    console.log(`loaded ${POINTS} points in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const address = await svc.app.listen({ port: 0, host: '127.0.0.1' });

    // Query places spread over Seoul; radius 2 km, 20 results, every 4th query filtered by category.
    const rnd = seededRandom(4242);
    const queries = Array.from({ length: INDEXED_RUNS }, (_, i) => {
      const lat = 37.46 + rnd() * 0.2;
      const lng = 126.85 + rnd() * 0.27;
      return `/api/v1/location/nearby?lat=${lat.toFixed(5)}&lng=${lng.toFixed(5)}&radius=2000&limit=20${i % 4 === 3 ? '&category=battery' : ''}`;
    });
    const run = async (qs: string[]) => {
      const times: number[] = [];
      let found = 0;
      for (const q of qs) {
        const s = performance.now();
        const r = await fetch(address + q);
        const body = (await r.json()) as { items: unknown[] };
        times.push(performance.now() - s);
        if (r.status !== 200) throw new Error(`GET ${q}: ${r.status}`);
        found += body.items.length;
      }
      return { sorted: times.sort((a, b) => a - b), found };
    };

    await run(queries.slice(0, 50)); // warm-up
    const indexed = await run(queries);
    const plan = await pool.query(
      `EXPLAIN SELECT id FROM collection_points p WHERE earth_box(ll_to_earth(37.55, 126.98), 2000) @> p.earth ORDER BY p.earth <-> ll_to_earth(37.55, 126.98) LIMIT 20`,
    );
    const usesIndex = plan.rows.some((r: Record<string, string>) =>
      r['QUERY PLAN']!.includes('collection_points_earth_idx'),
    );

    await pool.query('DROP INDEX collection_points_earth_idx');
    await pool.query('ANALYZE collection_points');
    const refQueries = queries
      .filter((_, i) => i % Math.floor(INDEXED_RUNS / REFERENCE_RUNS) === 0)
      .slice(0, REFERENCE_RUNS);
    await run(refQueries.slice(0, 3)); // warm-up
    const reference = await run(refQueries);

    const f = (n: number) => `${n.toFixed(2)} ms`;
    const i50 = pct(indexed.sorted, 50);
    const i99 = pct(indexed.sorted, 99);
    const r50 = pct(reference.sorted, 50);
    const r99 = pct(reference.sorted, 99);
    console.log(`GET /nearby, ${POINTS} points, radius 2 km, limit 20, loopback HTTP`);
    console.log(
      `  machine: ${cpus().length} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (latency figures grow with load)`,
    );
    console.log(
      `  indexed (GiST on earth, plan uses index: ${usesIndex}): ${INDEXED_RUNS} requests  p50 ${f(i50)}  p99 ${f(i99)}  (avg ${(indexed.found / INDEXED_RUNS).toFixed(1)} results)`,
    );
    console.log(
      `  reference, no index (sequential scan):     ${refQueries.length} requests  p50 ${f(r50)}  p99 ${f(r99)}  (avg ${(reference.found / refQueries.length).toFixed(1)} results)`,
    );
    console.log(`  speed-up: p50 ${(r50 / i50).toFixed(1)}x, p99 ${(r99 / i99).toFixed(1)}x`);
    const ok99 = i99 <= 10;
    const okRatio = r50 / i50 >= 20;
    console.log(
      `  targets: p99 <= 10 ms: ${ok99 ? 'met' : 'MISSED'}; >= 20x faster than unindexed (p50): ${okRatio ? 'met' : 'MISSED'}`,
    );
    if (indexed.found !== 0 && reference.found / refQueries.length !== 0 && (!ok99 || !okRatio))
      process.exitCode = 1;
  } finally {
    await svc.close();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
