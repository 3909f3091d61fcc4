import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import { createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { createCharacterService } from '@hybrid/character';
import { catalog } from '@hybrid/catalog';
import { buildService, type BuiltService } from '@hybrid/service-kit';
import { eventually } from '@hybrid/tools/test-env';
import { createAiWorker } from '@hybrid/worker-ai';
import { createStorageWorker } from '@hybrid/worker-storage';
import { createScanService } from '../src/app';
import { jpegWithGps, objectExists, startHarness, type Harness } from './harness';

/**
 * A slow network in front of the real S3 (s3rver): GETs of raw uploads are held until released,
 * so a test knows a worker is in the middle of a job.
 */
async function startStallingProxy(target: string) {
  const t = new URL(target);
  let onHeld: (() => void) | undefined;
  const held = new Promise<void>((r) => (onHeld = r));
  const server: Server = createServer((req, res) => {
    if (req.method === 'GET' && req.url?.includes('/upload')) {
      onHeld?.();
      return; // never answered: the worker waits here until it dies
    }
    const up = request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    held,
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createTcpServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

describe('a storage worker killed in the middle of a job', () => {
  let h: Harness;
  const services: BuiltService[] = [];
  let child: ChildProcess | undefined;

  beforeAll(async () => {
    h = await startHarness('crash');
  });
  afterAll(async () => {
    child?.kill('SIGKILL');
    await Promise.allSettled(services.map((s) => s.close()));
    await h?.close();
  });

  it('leaves the message unacked; the job is redelivered and processed once', async () => {
    const topology = catalog;
    const scan = await buildService(createScanService({ topology }), {
      env: h.env({ DATABASE_URL: h.scanDb.url }),
    });
    services.push(scan);
    const proxy = await startStallingProxy(h.s3Endpoint);

    // The worker as a real process (its main.ts), reaching S3 through the stalling network.
    let output = '';
    child = spawn(process.execPath, ['--conditions=development', '--import', 'tsx', 'src/main.ts'], {
      cwd: join(__dirname, '..', '..', 'worker-storage'),
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ...h.env({
          DATABASE_URL: h.scanDb.url,
          S3_ENDPOINT: proxy.url,
          PORT: String(await freePort()),
          HOST: '127.0.0.1',
          LOG_LEVEL: 'warn',
        }),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
    const exited = new Promise<NodeJS.Signals | null>((r) => child!.on('exit', (_code, signal) => r(signal)));

    const token = await h.token('dora');
    const auth = { authorization: `Bearer ${token}` };
    const photo = await jpegWithGps(320, 240);
    const created = (
      await scan.app.inject({
        method: 'POST',
        url: '/api/v1/scan',
        headers: auth,
        payload: { contentType: 'image/jpeg', size: photo.length, category: 'battery' },
      })
    ).json() as { scanId: string; uploadUrl: string; uploadHeaders: Record<string, string> };
    const id = created.scanId;
    await fetch(created.uploadUrl, {
      method: 'PUT',
      headers: created.uploadHeaders,
      body: new Uint8Array(photo),
    });
    expect(
      (await scan.app.inject({ method: 'POST', url: `/api/v1/scan/${id}/submit`, headers: auth })).statusCode,
    ).toBe(202);

    // The worker took the job and is fetching the image: kill it there.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      proxy.held,
      new Promise(
        (_, reject) =>
          (timer = setTimeout(() => reject(new Error(`worker never fetched:\n${output}`)), 20000)),
      ),
    ]).finally(() => clearTimeout(timer));
    const status = async () =>
      (await h.scanPool.query<{ status: string }>('SELECT status FROM scans WHERE id = $1', [id])).rows[0]!
        .status;
    expect(await status()).toBe('checking');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    child = undefined;
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
    await eventually(async () => (await status()) === 'done', 20000, 'the scan to finish');

    const { rows } = await h.scanPool.query<{ status: string }>(
      'SELECT status FROM scan_events WHERE scan_id = $1 ORDER BY id',
      [id],
    );
    expect(rows.map((r) => r.status)).toEqual([
      'awaiting_upload',
      'queued',
      'checking',
      'classifying',
      'done',
    ]);
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
