/**
 * Test isolation helpers. Every test file that touches a real service gets its own PostgreSQL
 * database, Redis key prefix and RabbitMQ names, and removes them afterwards.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AddressInfo, Socket } from 'node:net';
import { Client } from 'pg';

export const testUrls = {
  postgres: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  redis: process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  amqp: process.env.TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
};

/** A short unique name for this test run: `<label>_<random>`, lowercase, safe as an identifier. */
export function uniqueName(label: string): string {
  const clean = label
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .slice(0, 30);
  return `${clean}_${randomBytes(4).toString('hex')}`;
}

export interface TestDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

/** Creates an empty database on the test server; `drop()` removes it (closing stray sessions). */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `t_${uniqueName(label)}`;
  const admin = new Client({ connectionString: testUrls.postgres });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  return {
    name,
    url: withDatabase(testUrls.postgres, name),
    async drop() {
      const c = new Client({ connectionString: testUrls.postgres });
      await c.connect();
      try {
        // pg's Pool.end() resolves before its sockets have closed; give closing sessions a moment
        // so FORCE only ends sessions that were really left open (and no client sees an error).
        for (let i = 0; i < 50; i++) {
          const { rows } = await c.query<{ n: number }>(
            'SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
            [name],
          );
          if (!rows[0]?.n) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await c.end();
      }
    },
  };
}

export interface TcpProxy {
  readonly port: number;
  /** Drops every open connection and refuses new ones, like a dependency going down. */
  cut(): void;
  /** Accepts connections again. */
  restore(): void;
  close(): Promise<void>;
}

/**
 * A loopback TCP proxy in front of a real server, for testing what a service does when the
 * network to a dependency fails and comes back. The server behind it is never touched.
 */
export async function startTcpProxy(target: string): Promise<TcpProxy> {
  const net = await import('node:net');
  const u = new URL(target);
  const host = u.hostname;
  const port = Number(u.port);
  const sockets = new Set<Socket>();
  let down = false;
  const server = net.createServer((client) => {
    if (down) return client.destroy();
    const upstream = net.connect(port, host);
    sockets.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as AddressInfo;
  return {
    port: addr.port,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
      sockets.clear();
    },
    restore() {
      down = false;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}

/** `url` with its host and port replaced by the proxy's. */
export function viaProxy(url: string, proxy: TcpProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.toString();
}

/** Polls `fn` until it returns true, or fails after `timeoutMs`. */
export async function eventually(
  fn: () => Promise<boolean> | boolean,
  timeoutMs = 10000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * A process's command name and CPU time so far (user + system, ms), from `/proc/<pid>/stat`
 * (Linux; clock ticks of 10 ms). Throws if the process is gone. For benchmarks.
 */
export function processCpu(pid: number | string): { comm: string; cpuMs: number } {
  const st = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = st.slice(st.lastIndexOf(')') + 2).split(' ');
  return {
    comm: st.slice(st.indexOf('(') + 1, st.lastIndexOf(')')),
    cpuMs: ((Number(f[11]) + Number(f[12])) * 1000) / 100,
  };
}

/**
 * Reads a service's Prometheus metrics (`GET <url>/metrics`) once and returns a lookup of one
 * series by its exact name and labels as printed, e.g. `x_total{kind="a",service="s"}`; NaN when
 * absent.
 */
export async function scrapeMetrics(url: string): Promise<(series: string) => number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return (series) =>
    Number(new RegExp(`^${series.replace(/[{}]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1] ?? NaN);
}

/** A TCP port on loopback that was free a moment ago (for servers a test or benchmark starts). */
export function freePort(): Promise<number> {
  return import('node:net').then(
    (net) =>
      new Promise<number>((resolve, reject) => {
        const s = net.createServer();
        s.once('error', reject);
        s.listen(0, '127.0.0.1', () => {
          const { port } = s.address() as AddressInfo;
          s.close(() => resolve(port));
        });
      }),
  );
}

/** The parts of a RabbitMQ topology (the catalog's, or a test's variant) that name what to delete. */
export interface TopologyNames {
  readonly queues: readonly { readonly name: string; readonly retryDelaysMs: readonly number[] }[];
  readonly exchanges: readonly { readonly name: string }[];
}

/**
 * Deletes every queue (with its retry queues, `<queue>.retry.<ms>`, for its own delays and
 * `extraDelaysMs`) and exchange of a topology declared under `prefix`. Missing ones are fine.
 */
export async function dropTopology(
  topology: TopologyNames,
  prefix: string,
  extraDelaysMs: readonly number[] = [],
): Promise<void> {
  const amqp = await import('amqplib');
  const conn = await amqp.connect(testUrls.amqp);
  try {
    const ch = await conn.createChannel();
    for (const q of topology.queues) {
      await ch.deleteQueue(`${prefix}${q.name}`);
      for (const d of new Set([...q.retryDelaysMs, ...extraDelaysMs]))
        await ch.deleteQueue(`${prefix}${q.name}.retry.${d}`);
    }
    for (const e of topology.exchanges) await ch.deleteExchange(`${prefix}${e.name}`);
  } finally {
    await conn.close();
  }
}
