/**
 * Serves the built site (apps/web/dist) and forwards the game server's paths (/socket.io/, /api/,
 * including WebSocket upgrades) to it, so the page and the game share one origin. Used by local
 * play, the browser tests and the benchmark; production serves dist/ from the static site bucket.
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
};
const FORWARDED = ['/socket.io/', '/api/', '/health', '/ready'];

export interface SiteServer {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export interface SiteOptions {
  /** The built site. @default apps/web/dist */
  readonly dir?: string;
  /** The game server's base URL (http://host:port) to forward to; omit to serve files only. */
  readonly backend?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
  /** @default 127.0.0.1 */
  readonly host?: string;
}

export const DIST = resolve(__dirname, '..', 'dist');

export async function startSite(opts: SiteOptions = {}): Promise<SiteServer> {
  const dir = resolve(opts.dir ?? DIST);
  if (!existsSync(join(dir, 'index.html')))
    throw new Error(`no built site in ${dir}: run pnpm --filter @hybrid/web build`);
  const backend = opts.backend ? new URL(opts.backend) : null;
  const sockets = new Set<Socket>();
  const forwarded = (url: string): boolean =>
    !!backend && FORWARDED.some((p) => url === p.replace(/\/$/, '') || url.startsWith(p));

  const server: Server = createServer((req, res) => {
    const url = req.url ?? '/';
    if (backend && forwarded(url)) {
      const up = request(
        { host: backend.hostname, port: backend.port, method: req.method, path: url, headers: req.headers },
        (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        },
      );
      up.on('error', () => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end('game server unreachable');
      });
      req.pipe(up);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    const path = decodeURIComponent(new URL(url, 'http://x').pathname);
    let file = normalize(join(dir, path));
    if (!file.startsWith(dir)) {
      res.writeHead(400).end();
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(dir, 'index.html'); // SPA fallback
    const hashed = file.includes(`${join(dir, 'assets')}`);
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': hashed ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });

  server.on('upgrade', (req: IncomingMessage, client: Socket, head: Buffer) => {
    if (!backend || !forwarded(req.url ?? '')) {
      client.destroy();
      return;
    }
    const up = connect(Number(backend.port || 80), backend.hostname, () => {
      up.setNoDelay(true);
      client.setNoDelay(true);
      const lines = [`${req.method} ${req.url} HTTP/1.1`];
      for (let i = 0; i < req.rawHeaders.length; i += 2)
        lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
      up.write(`${lines.join('\r\n')}\r\n\r\n`);
      if (head.length) up.write(head);
      up.pipe(client).pipe(up);
    });
    for (const s of [up, client]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    const end = (): void => {
      up.destroy();
      client.destroy();
    };
    up.on('error', end);
    client.on('error', end);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        for (const s of sockets) s.destroy();
        server.close(() => ok());
      }),
  };
}
