/**
 * `pnpm bench http`: GET /api/v1/auth/me with a valid token (JWKS signature check, Redis denylist
 * check, PostgreSQL read) against a bare fastify hello-world measured in the same run, on loopback.
 * Prints req/s and p99 for both and their ratio, then p99 of /me at a fixed 1,000 req/s.
 * autocannon runs as a child process; server CPU per request is measured in this process.
 *
 * Throughput is compared at 100 connections, as fastify's own benchmarks run autocannon: enough
 * concurrent requests to keep the server busy, which is what req/s measures. The same pair is
 * also run at autocannon's default 10 connections and printed: there /me is bound by the latency
 * of its PostgreSQL round trip, not by the server's CPU. The paced run uses 10 connections.
 * Env: BENCH_SECONDS (default 8 per run), BENCH_CONNECTIONS (default 100).
 */
import { spawn } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { catalog } from '@hybrid/catalog';
import { buildService } from '@hybrid/service-kit';
import { createTestDatabase, dropTopology, testUrls, uniqueName } from '@hybrid/tools/test-env';
import type autocannon from 'autocannon';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair } from 'jose';
import { authService } from '../src/app';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 100);
const fewConnections = 10;

interface Figures {
  rps: number;
  p99: number;
  p50: number;
  errors: number;
  non2xx: number;
  /** CPU time of this process (the servers, not the load generator) per completed request. */
  cpuUsPerReq: number;
}

const autocannonBin = join(dirname(require.resolve('autocannon/package.json')), 'autocannon.js');

/**
 * Runs autocannon as a child process so that the load generator's CPU is not counted as the
 * server's, and measures this process's CPU time over the run.
 */
async function load(
  url: string,
  headers: Record<string, string> = {},
  opts: { rate?: number; connections?: number } = {},
): Promise<Figures> {
  const args = [autocannonBin, '-j', '-d', String(seconds), '-c', String(opts.connections ?? connections)];
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}=${v}`);
  if (opts.rate) args.push('-R', String(opts.rate));
  args.push(url);
  const cpu0 = process.cpuUsage();
  const out = await new Promise<string>((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'] });
    let buf = '';
    child.stdout.on('data', (d: Buffer) => (buf += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve(buf) : reject(new Error(`autocannon exited with ${code}`)),
    );
  });
  const cpu = process.cpuUsage(cpu0);
  const r = JSON.parse(out) as autocannon.Result;
  return {
    rps: r.requests.average,
    p99: r.latency.p99,
    p50: r.latency.p50,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
    cpuUsPerReq: (cpu.user + cpu.system) / Math.max(1, r.requests.total),
  };
}

async function main(): Promise<void> {
  const db = await createTestDatabase('bench_auth');
  const prefix = `${uniqueName('bench')}:auth:`;
  const queuePrefix = `${uniqueName('bench')}.`;
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const svc = await buildService(authService, {
    env: {
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      REDIS_URL: testUrls.redis,
      REDIS_KEY_PREFIX: prefix,
      JWT_SIGNING_KEYS: JSON.stringify([{ ...(await exportJWK(privateKey)), kid: 'bench' }]),
      TRUSTED_PROXY_HOPS: '0',
      AMQP_URL: testUrls.amqp,
      QUEUE_PREFIX: queuePrefix,
    },
  });
  const ref = Fastify();
  ref.get('/', async () => ({ hello: 'world' }));
  const redis = new Redis(testUrls.redis);
  try {
    const authUrl = await svc.app.listen({ port: 0, host: '127.0.0.1' });
    const refUrl = await ref.listen({ port: 0, host: '127.0.0.1' });
    const email = 'bench@example.com';
    const password = 'correct horse battery staple';
    await svc.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email, password, nickname: 'Bench' },
    });
    const login = await svc.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email, password },
    });
    const { accessToken } = login.json() as { accessToken: string };
    const me = { url: `${authUrl}/api/v1/auth/me`, headers: { authorization: `Bearer ${accessToken}` } };
    const check = await fetch(me.url, { headers: me.headers });
    if (check.status !== 200) throw new Error(`GET /me answered ${check.status}`);

    console.log(
      `loopback, ${connections} connections, ${seconds} s per run, ${cpus().length} CPUs, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}; warming up...`,
    );
    for (let i = 0; i < 200; i++) {
      await fetch(refUrl).then((r) => r.text());
      await fetch(me.url, { headers: me.headers }).then((r) => r.text());
    }
    // Two alternating rounds, so a neighbour's burst on this shared machine hits both sides alike.
    const refRuns: Figures[] = [];
    const meRuns: Figures[] = [];
    for (let round = 0; round < 2; round++) {
      refRuns.push(await load(refUrl));
      meRuns.push(await load(me.url, me.headers));
    }
    const mean = (runs: Figures[]): Figures => ({
      rps: runs.reduce((a, r) => a + r.rps, 0) / runs.length,
      p99: Math.max(...runs.map((r) => r.p99)),
      p50: Math.max(...runs.map((r) => r.p50)),
      errors: runs.reduce((a, r) => a + r.errors, 0),
      non2xx: runs.reduce((a, r) => a + r.non2xx, 0),
      cpuUsPerReq: runs.reduce((a, r) => a + r.cpuUsPerReq, 0) / runs.length,
    });
    const reference = mean(refRuns);
    const auth = mean(meRuns);
    const refFew = await load(refUrl, {}, { connections: fewConnections });
    const meFew = await load(me.url, me.headers, { connections: fewConnections });
    const paced = await load(me.url, me.headers, { rate: 1000, connections: fewConnections });
    // Where the cost goes: the same service's /health (kit hooks, metrics; no token, no I/O).
    const health = await load(`${authUrl}/health`);

    console.log('req/s: mean of 2 rounds; p50/p99: the worse round');
    const row = (name: string, f: Figures) =>
      `${name.padEnd(46)} ${f.rps.toFixed(0).padStart(8)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   server CPU ${f.cpuUsPerReq.toFixed(0).padStart(5)} us/req   errors ${f.errors + f.non2xx}`;
    console.log(row(`reference: fastify hello-world, ${connections} conn`, reference));
    console.log(row(`GET /api/v1/auth/me, ${connections} conn`, auth));
    console.log(row(`reference, ${fewConnections} conn (1 round)`, refFew));
    console.log(row(`GET /api/v1/auth/me, ${fewConnections} conn (1 round)`, meFew));
    console.log(row(`GET /api/v1/auth/me at 1,000 req/s, ${fewConnections} conn`, paced));
    console.log(row('auth service GET /health (kit only)', health));
    const ratio = auth.rps / reference.rps;
    console.log(
      `ratio at ${fewConnections} connections = ${(meFew.rps / refFew.rps).toFixed(2)}x (latency-bound: each /me waits for PostgreSQL)`,
    );
    console.log(
      `ratio /me : reference at ${connections} connections = ${ratio.toFixed(2)}x (target >= 0.40x) ${ratio >= 0.4 ? 'OK' : 'BELOW TARGET'}`,
    );
    console.log(
      `p99 at 1,000 req/s = ${paced.p99} ms (target <= 20 ms) ${paced.p99 <= 20 ? 'OK' : 'ABOVE TARGET'}`,
    );
    if (auth.errors + auth.non2xx + meFew.errors + meFew.non2xx + paced.errors + paced.non2xx > 0)
      console.log('WARNING: some /me requests failed');
  } finally {
    await svc.close();
    await ref.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await db.drop();
    await dropTopology(catalog, queuePrefix);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
