import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, testUrls, type TestDatabase, freePort } from '@hybrid/tools/test-env';

const pkg = join(__dirname, '..');
function start(env: Record<string, string>): {
  child: ChildProcess;
  output: () => string;
  exit: Promise<number | null>;
} {
  const child = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'test/fixtures/main-demo.ts'],
    {
      cwd: pkg,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { child, output: () => out, exit };
}

describe('a service process', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('proc');
  });
  afterAll(async () => db?.drop());

  it('refuses to boot on a missing required variable with one line naming it', async () => {
    const p = start({ REDIS_URL: testUrls.redis, AMQP_URL: testUrls.amqp, LOG_LEVEL: 'silent' });
    expect(await p.exit).toBe(1);
    const lines = p.output().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^demo: config error: DATABASE_URL is required/);
  });

  it('finishes a request in flight when SIGTERM arrives, then exits 0', async () => {
    const port = await freePort();
    const p = start({
      DATABASE_URL: db.url,
      REDIS_URL: testUrls.redis,
      AMQP_URL: testUrls.amqp,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
    });
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      const ok = await fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      );
      if (ok) break;
      if (i > 150) throw new Error(`service did not start:\n${p.output()}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const inflight = fetch(`${base}/api/v1/demo/slow?ms=1500`).then(async (r) => ({
      status: r.status,
      body: await r.json(),
    }));
    await new Promise((r) => setTimeout(r, 300));
    p.child.kill('SIGTERM');
    const res = await inflight;
    expect(res).toEqual({ status: 200, body: { waited: 1500 } });
    const code = await p.exit;
    if (code !== 0) throw new Error(`exit ${code}:\n${p.output()}`);
    // Once draining began, new connections are refused.
    await expect(fetch(`${base}/health`)).rejects.toThrow();
    const logs = p
      .output()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string });
    expect(logs.map((l) => l.msg)).toEqual(
      expect.arrayContaining(['shutting down: draining in-flight work', 'stopped']),
    );
  });
});
