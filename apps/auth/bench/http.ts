/**
 * `pnpm bench http`: GET /api/v1/auth/me with a valid token (JWKS signature check, Redis denylist
 * check, PostgreSQL read) against a bare fastify hello-world measured in the same run, on loopback.
 * Prints req/s and p99 for both and their ratio, then p99 of /me at a fixed 1,000 req/s.
 * Env: BENCH_SECONDS (default 8 per run), BENCH_CONNECTIONS (default 10).
 */
import { buildService } from '@hybrid/service-kit';
import { createTestDatabase, testUrls, uniqueName } from '@hybrid/tools/test-env';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair } from 'jose';
import { authService } from '../src/app';

const seconds = Number(process.env.BENCH_SECONDS ?? 8);
const connections = Number(process.env.BENCH_CONNECTIONS ?? 10);

interface Figures {
  rps: number;
  p99: number;
  p50: number;
  errors: number;
  non2xx: number;
}

async function load(opts: autocannon.Options): Promise<Figures> {
  // The load generator runs in a worker thread, off the servers' event loop.
  const r = await autocannon({ duration: seconds, connections, workers: 1, ...opts });
  return {
    rps: r.requests.average,
    p99: r.latency.p99,
    p50: r.latency.p50,
    errors: r.errors + r.timeouts,
    non2xx: r.non2xx,
  };
}

async function main(): Promise<void> {
  const db = await createTestDatabase('bench_auth');
  const prefix = `${uniqueName('bench')}:auth:`;
  const { privateKey } = await generateKeyPair('EdDSA', { extractable: true });
  const svc = await buildService(authService, {
    env: {
      LOG_LEVEL: 'silent',
      DATABASE_URL: db.url,
      REDIS_URL: testUrls.redis,
      REDIS_KEY_PREFIX: prefix,
      JWT_SIGNING_KEYS: JSON.stringify([{ ...(await exportJWK(privateKey)), kid: 'bench' }]),
      TRUSTED_PROXY_HOPS: '0',
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

    console.log(`loopback, ${connections} connections, ${seconds} s per run; warming up...`);
    await autocannon({ url: refUrl, duration: 1, connections });
    await autocannon({ ...me, duration: 1, connections });
    const reference = await load({ url: refUrl });
    const auth = await load(me);
    const paced = await load({ ...me, overallRate: 1000 });

    const row = (name: string, f: Figures) =>
      `${name.padEnd(34)} ${f.rps.toFixed(0).padStart(8)} req/s   p50 ${String(f.p50).padStart(4)} ms   p99 ${String(f.p99).padStart(4)} ms   errors ${f.errors + f.non2xx}`;
    console.log(row('reference: fastify hello-world', reference));
    console.log(row('GET /api/v1/auth/me (max rate)', auth));
    console.log(row('GET /api/v1/auth/me at 1,000 req/s', paced));
    const ratio = auth.rps / reference.rps;
    console.log(
      `ratio /me : reference = ${ratio.toFixed(2)}x (target >= 0.40x) ${ratio >= 0.4 ? 'OK' : 'BELOW TARGET'}`,
    );
    console.log(
      `p99 at 1,000 req/s = ${paced.p99} ms (target <= 20 ms) ${paced.p99 <= 20 ? 'OK' : 'ABOVE TARGET'}`,
    );
    if (auth.errors + auth.non2xx + paced.errors + paced.non2xx > 0)
      console.log('WARNING: some /me requests failed');
  } finally {
    await svc.close();
    await ref.close();
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length) await redis.del(...keys);
    await redis.quit();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
