/** The real game server as a child process, for local play, the browser tests and the benchmark. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { resolve } from 'node:path';

export const REPO = resolve(__dirname, '..', '..', '..');
export const GAME_SERVER_DIR = resolve(REPO, 'apps', 'game-server');

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

export interface GameServer {
  readonly url: string;
  readonly port: number;
  readonly logs: () => string;
  stop(): Promise<void>;
}

/**
 * Starts the real game server (its development entry, in-memory defaults: no REDIS_URL, no
 * DATABASE_URL) on a free loopback port and waits until /health answers.
 */
export async function startGameServer(
  opts: {
    corsOrigins?: readonly string[];
    env?: Record<string, string>;
    port?: number;
    inheritOutput?: boolean;
  } = {},
): Promise<GameServer> {
  const port = opts.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    ...opts.env,
  };
  delete env.REDIS_URL;
  delete env.DATABASE_URL;
  delete env.NODE_OPTIONS;
  if (opts.corsOrigins) env.CORS_ORIGINS = opts.corsOrigins.join(',');
  const child: ChildProcess = spawn(
    process.execPath,
    ['--conditions=development', '--import', 'tsx', 'src/main.ts'],
    { cwd: GAME_SERVER_DIR, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  const collect = (d: Buffer, to: NodeJS.WriteStream) => {
    out += d.toString();
    if (opts.inheritOutput) to.write(d);
  };
  child.stdout?.on('data', (d: Buffer) => collect(d, process.stdout));
  child.stderr?.on('data', (d: Buffer) => collect(d, process.stderr));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`game server exited (${child.exitCode}):\n${out}`);
    try {
      const res = await fetch(`${url}/health`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`game server did not become healthy in 30 s:\n${out}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    port,
    logs: () => out,
    stop: () =>
      new Promise<void>((ok) => {
        if (child.exitCode !== null) return ok();
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        child.once('exit', () => {
          clearTimeout(timer);
          ok();
        });
        child.kill('SIGTERM');
      }),
  };
}
