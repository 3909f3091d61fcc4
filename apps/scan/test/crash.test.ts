import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { createCharacterService } from '@hybrid/character';
import { catalog } from '@hybrid/catalog';
import { buildService, type BuiltService } from '@hybrid/service-kit';
import { eventually, freePort } from '@hybrid/tools/test-env';
import { createAiWorker } from '@hybrid/worker-ai';
import { createStorageWorker } from '@hybrid/worker-storage';
import { createScanService } from '../src/app';
import { jpegWithGps, objectExists, startHarness, type Harness } from './harness';

/**
 * A slow network in front of the local S3 server: GETs of raw uploads are held until released,
 * so a test knows a worker is in the middle of a job.
 */
async function startStallingProxy(target: string) {
  const t = new URL(target);
  let onHeld: (() => void) | undefined;
  const held = new Promise<void>((r) => (onHeld = r));
  const waiting: (() => void)[] = [];
  let stalling = true;
  const server: Server = createServer((req, res) => {
    if (stalling && req.method === 'GET' && req.url?.includes('/upload')) {
      onHeld?.();
      waiting.push(() => forward(req, res));
      return; // not answered until released
    }
    forward(req, res);
  });
  const forward = (req: IncomingMessage, res: ServerResponse) => {
    const up = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  };
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    held,
    release: () => {
      stalling = false;
      for (const go of waiting.splice(0)) go();
    },
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

describe('a storage worker stopped in the middle of a job', () => {
  let h: Harness;
  let scan: BuiltService;
  const services: BuiltService[] = [];
  const children: ChildProcess[] = [];
  const topology = catalog;

  beforeAll(async () => {
    h = await startHarness('crash');
    scan = await buildService(createScanService({ topology }), {
      env: h.env({ DATABASE_URL: h.scanDb.url }),
    });
    services.push(scan);
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await Promise.allSettled(services.map((s) => s.close()));
    await h?.close();
  });

  /** The worker as a real process (its main.ts), reaching S3 through `s3`. */
  async function spawnWorker(s3: string) {
    let output = '';
    const port = await freePort();
    const child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/main.ts'], {
      cwd: join(__dirname, '..', '..', 'worker-storage'),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ...h.env({
          DATABASE_URL: h.scanDb.url,
          S3_ENDPOINT: s3,
          PORT: String(port),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
          SHUTDOWN_TIMEOUT_MS: '10000',
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
      child.on('exit', (code, signal) => r({ code, signal })),
    );
    // Serving (its SIGTERM handler is installed once it listens).
    await eventually(
      () =>
        fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        ),
      30000,
      'the worker to start',
    );
    return { child, exited, output: () => output };
  }

  async function submitScan(user: string) {
    const auth = { authorization: `Bearer ${await h.token(user)}` };
    const photo = await jpegWithGps(320, 240);
    const created = (
      await scan.app.inject({
        method: 'POST',
        url: '/api/v1/scan',
        headers: auth,
        payload: { contentType: 'image/jpeg', size: photo.length, category: 'battery' },
      })
    ).json() as { scanId: string; uploadUrl: string; uploadHeaders: Record<string, string> };
    await fetch(created.uploadUrl, {
      method: 'PUT',
      headers: created.uploadHeaders,
      body: new Uint8Array(photo),
    });
    const r = await scan.app.inject({
      method: 'POST',
      url: `/api/v1/scan/${created.scanId}/submit`,
      headers: auth,
    });
    expect(r.statusCode).toBe(202);
    return { id: created.scanId, auth };
  }

  async function until(p: Promise<unknown>, what: string, output: () => string) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      p,
      new Promise(
        (_, reject) => (timer = setTimeout(() => reject(new Error(`${what}:\n${output()}`)), 20000)),
      ),
    ]).finally(() => clearTimeout(timer));
  }

  const statusOf = async (id: string) =>
    (await h.scanPool.query<{ status: string }>('SELECT status FROM scans WHERE id = $1', [id])).rows[0]!
      .status;
  const eventsOf = async (id: string) =>
    (
      await h.scanPool.query<{ status: string }>(
        'SELECT status FROM scan_events WHERE scan_id = $1 ORDER BY id',
        [id],
      )
    ).rows.map((r) => r.status);

  it('on SIGTERM finishes the job in hand, then exits 0', async () => {
    const proxy = await startStallingProxy(h.s3Endpoint);
    const w = await spawnWorker(proxy.url);
    const { id } = await submitScan('erin');
    await until(proxy.held, 'worker never fetched', w.output);
    w.child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    expect(await statusOf(id)).toBe('checking');
    proxy.release();
    expect(await w.exited).toEqual({ code: 0, signal: null });
    // Finished and passed on before exiting: nothing is left for another worker to redo.
    expect(await statusOf(id)).toBe('classifying');
    await proxy.close();
  });

  it('when killed, leaves the message unacked; the job is redelivered and processed once', async () => {
    const proxy = await startStallingProxy(h.s3Endpoint);
    const w = await spawnWorker(proxy.url);
    const { id, auth } = await submitScan('dora');
    // The worker took the job and is fetching the image: kill it there.
    await until(proxy.held, 'worker never fetched', w.output);
    expect(await statusOf(id)).toBe('checking');
    w.child.kill('SIGKILL');
    expect((await w.exited).signal).toBe('SIGKILL');
    await proxy.close();

    // Fresh workers: the broker redelivers the unacked job.
    const env = h.env({ DATABASE_URL: h.scanDb.url });
    services.push(
      await buildService(createStorageWorker({ topology }), { env }),
      await buildService(createAiWorker({ topology }), { env }),
    );
    const character = await buildService(createCharacterService({ topology }), {
      env: h.env({ DATABASE_URL: h.characterDb.url }),
    });
    services.push(character);
    await eventually(async () => (await statusOf(id)) === 'done', 20000, 'the scan to finish');

    expect(await eventsOf(id)).toEqual(['awaiting_upload', 'queued', 'checking', 'classifying', 'done']);
    const keys = (await h.scanPool.query('SELECT upload_key, image_key FROM scans WHERE id = $1', [id]))
      .rows[0];
    expect(await objectExists(h.s3, keys.image_key)).toBe(true);
    expect(await objectExists(h.s3, keys.upload_key)).toBe(false);
    const me = async () => (await character.app.inject({ url: '/api/v1/character', headers: auth })).json();
    await eventually(async () => (await me()).xp > 0, 10000, 'xp');
    await new Promise((r) => setTimeout(r, 300));
    expect(await me()).toMatchObject({ xp: 30, scans: 1, recent: [expect.objectContaining({ scanId: id })] });
  });
});
