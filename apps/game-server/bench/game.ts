import { freePort, processCpu, scrapeMetrics } from '@hybrid/tools/test-env';
// `pnpm bench game [--clients 1000] [--rooms 100] [--rate 30] [--seconds 8] [--repeat 3] [--no-replicas] [--no-single]`
//
// Starts the built game server (node dist/main.js) and, as the reference, a minimal relay on raw
// `ws` (bench/reference/ws-relay.ts), drives both with the same load on loopback (rooms of N clients, one
// drawer per room sending strokes at a fixed rate), and prints delivered/expected, p50/p99
// delivery latency, their ratio to the reference, the server's RSS, and the p50/p99 of the drawer's
// round trip from a stroke to its ack (the reference sends no acks). Then the same with two
// replicas sharing Redis, with the p50/p99 of the deliveries by the drawer's own replica and of
// those through Redis. The reference and the servers take turns, --repeat times; the verdict
// is the median ratio, since one loaded 2-core run can swing a p99 by half. Bounded: fixed client
// count, duration and repeats.
//
// For experiments: BENCH_NODE_OPTIONS replaces the catalog's NODE_OPTIONS, BENCH_NODE_ARGS adds
// node arguments (e.g. --trace-gc), BENCH_SERVER_OUT=1 prints the servers' output, BENCH_CPU_PROF=1
// writes CPU profiles to /tmp/gs-prof (the reference's to /tmp/gs-prof/reference), BENCH_PERF_MAP=1
// runs the servers and the reference with --perf-basic-prof (for `perf record`), BENCH_TIMELINE=1 prints the worst latency of every 250 ms.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cpus, loadavg } from 'node:os';
import { catalog } from '@hybrid/catalog';
import WebSocket from 'ws';

const pkg = join(__dirname, '..');
const args = process.argv.slice(2);
const flag = (name: string, def: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : def;
};
const CLIENTS = flag('clients', 1000);
const ROOMS = flag('rooms', 100);
const RATE = flag('rate', 30);
const SECONDS = flag('seconds', 8);
const REPLICAS = !args.includes('--no-replicas');
const SINGLE = !args.includes('--no-single');
const REPEAT = Math.max(1, flag('repeat', 3));
const PER_ROOM = Math.floor(CLIENTS / ROOMS);
const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
/** The server runs with the Node flags it is deployed with. */
const nodeOptions =
  process.env.BENCH_NODE_OPTIONS ?? catalog.get('game-server').env.NODE_OPTIONS?.default ?? '';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** CPU time (user + system) of a process so far, in ms. */
const cpuMs = (pid: number) => processCpu(pid).cpuMs;
function rssMb(pid: number): { rss: number; peak: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(s)?.[1] ?? 0);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

async function waitHttp(url: string, child: ChildProcess, out: () => string): Promise<void> {
  const end = Date.now() + 30000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`server exited:\n${out()}`);
    if (
      await fetch(url).then(
        (r) => r.ok,
        () => false,
      )
    )
      return;
    await sleep(100);
  }
  throw new Error(`server did not start:\n${out()}`);
}

function startProc(cmd: string[], env: Record<string, string>): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, cmd, {
    cwd: pkg,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return { child, out: () => out };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(5000).then(() => child.kill('SIGKILL'))]);
}

interface Figures {
  name: string;
  delivered: number;
  expected: number;
  p50: number;
  p99: number;
  rss?: string;
  /** Server CPU per delivered message during the load, in microseconds. */
  cpuUs?: number;
}

/** The p-quantile of sorted values. */
const quantile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;

/** `p50 … ms  p99 … ms` of some latencies, in ms. */
function p50p99(xs: readonly number[]): string {
  const sorted = [...xs].sort((a, b) => a - b);
  return `p50 ${quantile(sorted, 0.5).toFixed(2)} ms  p99 ${quantile(sorted, 0.99).toFixed(2)} ms`;
}

/** Latency recorder shared by both kinds of clients: seq -> send time, per room. */
class Recorder {
  sent = 0;
  delivered = 0;
  readonly lat: number[] = [];
  /** With replicas: latencies of deliveries by the drawer's replica, and by the other one. */
  readonly latLocal: number[] = [];
  readonly latRemote: number[] = [];
  /** Receive times, for BENCH_TIMELINE. */
  readonly at: number[] = [];
  readonly sentAt: Map<number, number>[] = Array.from({ length: ROOMS }, () => new Map());
  onSend(room: number, seq: number) {
    this.sent++;
    this.sentAt[room]!.set(seq, performance.now());
  }
  onReceive(room: number, seq: number, remote = false) {
    const t = this.sentAt[room]!.get(seq);
    if (t === undefined) return;
    this.delivered++;
    const now = performance.now();
    this.lat.push(now - t);
    (remote ? this.latRemote : this.latLocal).push(now - t);
    if (process.env.BENCH_TIMELINE) this.at.push(now);
  }
  /** The worst latency in each 250 ms of the run: shows whether the tail is stalls or steady. */
  timeline(): string {
    const t0 = this.at[0] ?? 0;
    const worst: number[] = [];
    this.at.forEach((t, i) => {
      const w = Math.floor((t - t0) / 250);
      worst[w] = Math.max(worst[w] ?? 0, this.lat[i]!);
    });
    return Array.from(worst, (x) => (x ?? 0).toFixed(0)).join(' ');
  }
  /**
   * With replicas: p50/p99 of the deliveries by the drawer's own replica and by the other one,
   * which went through Redis.
   */
  split(): string {
    return `by the drawer's replica ${p50p99(this.latLocal)}; through Redis ${p50p99(this.latRemote)}`;
  }
  figures(name: string): Figures {
    const sorted = [...this.lat].sort((a, b) => a - b);
    const q = (p: number) => quantile(sorted, p);
    return {
      name,
      delivered: this.delivered,
      expected: this.sent * (PER_ROOM - 1),
      p50: q(0.5),
      p99: q(0.99),
    };
  }
}

const strokeFor = (seq: number) => ({
  // The sequence number rides in the first point (exact in a double): 0..1 like any point.
  points: [
    [seq / 1_000_000, 0.5],
    [0.25, 0.75],
    [0.5, 0.5],
    [0.75, 0.25],
  ] as [number, number][],
  color: '#1a2b3c',
  size: 6,
  tool: 'pen' as const,
});
const seqOf = (p: { points: [number, number][] }) => Math.round(p.points[0]![0] * 1_000_000);

/** Drives the load: every drawer sends RATE strokes a second for SECONDS; returns when drained. */
async function drive(rec: Recorder, send: ((seq: number) => void)[]): Promise<void> {
  const interval = 1000 / RATE;
  const total = Math.floor(RATE * SECONDS);
  let seq = 0;
  const t0 = performance.now();
  for (let i = 0; i < total; i++) {
    seq++;
    send.forEach((fn) => fn(seq));
    const wait = t0 + (i + 1) * interval - performance.now();
    if (wait > 0) await sleep(wait);
  }
  // Drain: wait while deliveries still arrive (a loaded machine lags), at most 30 s.
  const expected = () => rec.sent * (PER_ROOM - 1);
  const end = Date.now() + 30000;
  let last = -1;
  let still = 0;
  while (rec.delivered < expected() && Date.now() < end && still < 20) {
    await sleep(100);
    still = rec.delivered === last ? still + 1 : 0;
    last = rec.delivered;
  }
}

async function benchRaw(replicas = 1): Promise<Figures> {
  const procs: { child: ChildProcess; port: number }[] = [];
  const redis = replicas > 1 ? { REDIS_URL, REDIS_KEY_PREFIX: `bench_${process.pid}_${Date.now()}:` } : {};
  for (let i = 0; i < replicas; i++) {
    const port = await freePort();
    const p = startProc(
      [
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/gs-prof/reference'] : []),
        ...(process.env.BENCH_PERF_MAP ? ['--perf-basic-prof'] : []),
        '--import',
        'tsx',
        'bench/reference/ws-relay.ts',
      ],
      { PORT: String(port), ...redis },
    );
    while (!p.out().includes('listening')) {
      if (p.child.exitCode !== null) throw new Error(p.out());
      await sleep(50);
    }
    procs.push({ child: p.child, port });
  }
  const rec = new Recorder();
  const clients: WebSocket[][] = [];
  for (let r = 0; r < ROOMS; r++) {
    const room: WebSocket[] = [];
    for (let c = 0; c < PER_ROOM; c++) {
      // Spread over the replicas as the game servers' clients are (see benchGame).
      const ws = new WebSocket(`ws://127.0.0.1:${procs[(r + c) % replicas]!.port}/?room=${r}`);
      if (c > 0)
        ws.on('message', (d) =>
          rec.onReceive(
            r,
            seqOf(JSON.parse(d.toString()) as { points: [number, number][] }),
            c % replicas !== 0,
          ),
        );
      room.push(ws);
    }
    await Promise.all(room.map((ws) => new Promise((res) => ws.once('open', res))));
    clients.push(room);
  }
  const cpu0 = procs.map((p) => cpuMs(p.child.pid!));
  await drive(
    rec,
    clients.map((room, r) => (seq: number) => {
      rec.onSend(r, seq);
      room[0]!.send(JSON.stringify({ ...strokeFor(seq), playerId: 'drawer' }));
    }),
  );
  const cpuUs =
    (procs.reduce((a, p, i) => a + cpuMs(p.child.pid!) - cpu0[i]!, 0) * 1000) / Math.max(1, rec.delivered);
  const mem = procs.map((p) => rssMb(p.child.pid!));
  for (const room of clients) for (const ws of room) ws.terminate();
  await Promise.all(procs.map((p) => stop(p.child)));
  if (process.env.BENCH_TIMELINE) console.log(`  worst ms per 250 ms: ${rec.timeline()}`);
  if (replicas > 1) console.log(`  deliveries ${rec.split()}`);
  return {
    ...rec.figures(replicas > 1 ? `raw ws relay x${replicas} + Redis` : 'raw ws relay'),
    rss: mem.map((m) => `${m.rss.toFixed(0)} MB (peak ${m.peak.toFixed(0)})`).join(', '),
    cpuUs,
  };
}

type Ack = { ok: boolean; data?: unknown; error?: { code: string } };

/**
 * A Socket.IO v4 client reduced to what the load needs, speaking the wire protocol over raw `ws`
 * (Engine.IO 4 packets: `0` open, `2`/`3` ping/pong, `40` connect, `42[id]` event, `43id` ack).
 * The reference's clients are raw `ws` too, so the client side costs the same in both runs and
 * the comparison measures the servers.
 */
class WireClient {
  private readonly ws: WebSocket;
  private nextId = 0;
  private readonly acks = new Map<number, (a: Ack) => void>();
  private readonly handlers = new Map<string, (payload: unknown) => void>();
  readonly ready: Promise<void>;

  constructor(url: string) {
    this.ws = new WebSocket(`${url.replace('http', 'ws')}/socket.io/?EIO=4&transport=websocket`);
    this.ready = new Promise((resolve, reject) => {
      this.ws.once('error', reject);
      this.ws.on('message', (data) => {
        const msg = data.toString();
        if (msg === '2') return this.ws.send('3');
        if (msg.startsWith('0')) return this.ws.send('40');
        if (msg.startsWith('40')) return resolve();
        if (msg.startsWith('42')) {
          const [event, payload] = JSON.parse(msg.slice(2)) as [string, unknown];
          this.handlers.get(event)?.(payload);
        } else if (msg.startsWith('43')) {
          const open = msg.indexOf('[');
          const id = Number(msg.slice(2, open));
          const [ack] = JSON.parse(msg.slice(open)) as [Ack];
          this.acks.get(id)?.(ack);
          this.acks.delete(id);
        }
      });
    });
  }
  on(event: string, fn: (payload: unknown) => void) {
    this.handlers.set(event, fn);
  }
  emit(event: string, payload: unknown, ack?: (a: Ack) => void) {
    if (ack) {
      const id = this.nextId++;
      this.acks.set(id, ack);
      this.ws.send(`42${id}${JSON.stringify([event, payload])}`);
    } else this.ws.send(`42${JSON.stringify([event, payload])}`);
  }
  call(event: string, payload: unknown): Promise<Ack> {
    return new Promise((res) => this.emit(event, payload, res));
  }
  close() {
    this.ws.terminate();
  }
}

async function benchGame(replicas: number): Promise<Figures> {
  const env = {
    // As deployed: the catalog's Node flags (V8 heap sized for the pod's memory limit).
    NODE_OPTIONS: nodeOptions,
    LOG_LEVEL: 'warn',
    HOST: '127.0.0.1',
    CHOOSE_TIME_SEC: '120',
    // The limiter still runs on every stroke; the bench must not trip it when the load generator
    // falls behind on a busy machine and catches up in bursts.
    STROKE_RATE: '10000',
    STROKE_BURST: '100000',
    ROOM_EVENT_BURST: '50',
    ...(replicas > 1 ? { REDIS_URL, REDIS_KEY_PREFIX: `bench_${process.pid}_${Date.now()}:` } : {}),
  };
  const servers: { child: ChildProcess; url: string; out: () => string }[] = [];
  for (let i = 0; i < replicas; i++) {
    const port = await freePort();
    const p = startProc(
      [
        ...(process.env.BENCH_CPU_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/gs-prof'] : []),
        ...(process.env.BENCH_PERF_MAP ? ['--perf-basic-prof'] : []),
        ...(process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        'dist/main.js',
      ],
      { ...env, PORT: String(port) },
    );
    const url = `http://127.0.0.1:${port}`;
    await waitHttp(`${url}/health`, p.child, p.out);
    servers.push({ child: p.child, url, out: p.out });
  }
  const rec = new Recorder();
  const rooms: WireClient[][] = [];
  for (let r = 0; r < ROOMS; r++) {
    const room: WireClient[] = [];
    // As a load balancer spreads connections: each room has players on every replica, and the
    // drawers (client 0) alternate between replicas rather than all landing on the first one.
    for (let c = 0; c < PER_ROOM; c++) room.push(new WireClient(servers[(r + c) % servers.length]!.url));
    await Promise.all(room.map((s) => s.ready));
    const created = await room[0]!.call('room:create', {
      nickname: 'drawer',
      settings: { drawTimeSec: 240, maxPlayers: 12, rounds: 1, isPrivate: true },
    });
    const code = (created.data as { code: string }).code;
    for (let c = 1; c < PER_ROOM; c++) {
      const s = room[c]!;
      const j = await s.call('room:join', { code, nickname: `p${c}` });
      if (!j.ok) throw new Error(`join failed: ${JSON.stringify(j)}`);
      s.on('draw:stroke', (p) =>
        rec.onReceive(r, seqOf(p as { points: [number, number][] }), c % servers.length !== 0),
      );
    }
    const started = await room[0]!.call('game:start', {});
    if (!started.ok) throw new Error(`start failed: ${JSON.stringify(started)}`);
    // The host draws first (join order); wait for its word choices.
    for (let tries = 0; tries < 100; tries++) {
      const ch = await room[0]!.call('word:choose', { index: 0 });
      if (ch.ok) break;
      await sleep(20);
    }
    rooms.push(room);
  }
  await sleep(500);
  const connectedMem = servers.map((s) => rssMb(s.child.pid!));
  const heap = async () =>
    (
      await Promise.all(
        servers.map((s) =>
          fetch(`${s.url}/api/status`)
            .then((r) => r.json() as Promise<{ memory: { heapUsedMb: number } }>)
            .then((j) => j.memory.heapUsedMb),
        ),
      )
    ).join('+');
  const heapBefore = await heap();
  let refused = 0;
  /** Each stroke's ack, as the drawer sees it: from sending the stroke to its ack. */
  const ackMs: number[] = [];
  const cpu0 = servers.map((s) => cpuMs(s.child.pid!));
  await drive(
    rec,
    rooms.map((room, r) => (seq: number) => {
      rec.onSend(r, seq);
      const sentAt = performance.now();
      (room[0] as unknown as { emit: (...a: unknown[]) => void }).emit(
        'draw:stroke',
        strokeFor(seq),
        (a: Ack) => {
          ackMs.push(performance.now() - sentAt);
          if (!a.ok) refused++;
        },
      );
    }),
  );
  const cpuUs =
    (servers.reduce((a, s, i) => a + cpuMs(s.child.pid!) - cpu0[i]!, 0) * 1000) / Math.max(1, rec.delivered);
  const mem = servers.map((s) => rssMb(s.child.pid!));
  console.log(`  live JS heap (MiB): ${heapBefore} with clients before load, ${await heap()} after`);
  if (replicas > 1) {
    // What the replicas sent each other: broadcasts, and the Redis messages that carried them.
    const relayed = await Promise.all(
      servers.map(async (s) => {
        const sample = await scrapeMetrics(s.url);
        const n = (kind: string) => sample(`game_relay_total{kind="${kind}",service="game-server"}`);
        return `${n('broadcasts')} in ${n('messages')} messages`;
      }),
    );
    console.log(`  relayed to the other replica: ${relayed.join(', ')}`);
  }
  // How the draw events were handled: off the wire, and how many waited for a fresh read of the room.
  const paths = await Promise.all(
    servers.map(async (s) => {
      const sample = await scrapeMetrics(s.url);
      const n = (series: string) => sample(`${series},service="game-server"}`);
      const reads = ['missing', 'stale', 'queued'].map(
        (c) => `${c} ${n(`game_draw_room_reads_total{cause="${c}"`)}`,
      );
      return `${n('game_events_fast_total{kind="draw"')} off the wire, fresh room reads: ${reads.join(' ')}`;
    }),
  );
  console.log(`  draw events: ${paths.join('; ')}`);
  for (const room of rooms) for (const s of room) s.close();
  await Promise.all(servers.map((s) => stop(s.child)));
  if (process.env.BENCH_SERVER_OUT) for (const s of servers) console.log(s.out());
  if (refused) console.log(`  (${refused} strokes refused by the server)`);
  console.log(`  draw acks (the drawer's round trip): ${ackMs.length}/${rec.sent}  ${p50p99(ackMs)}`);
  if (process.env.BENCH_TIMELINE) console.log(`  worst ms per 250 ms: ${rec.timeline()}`);
  if (replicas > 1) console.log(`  deliveries ${rec.split()}`);
  return {
    ...rec.figures(replicas > 1 ? `game server x${replicas} + Redis` : 'game server'),
    rss: mem
      .map(
        (m, i) =>
          `${m.rss.toFixed(0)} MB (peak ${m.peak.toFixed(0)}, ${connectedMem[i]!.rss.toFixed(0)} with clients before load)`,
      )
      .join(', '),
    cpuUs,
  };
}

function print(f: Figures, ref?: Figures) {
  const ratio = ref
    ? `  p99 ratio ${(f.p99 / ref.p99).toFixed(2)}x, p50 ratio ${(f.p50 / ref.p50).toFixed(2)}x`
    : '';
  console.log(
    `${f.name.padEnd(26)} delivered ${f.delivered}/${f.expected}  p50 ${f.p50.toFixed(2)} ms  p99 ${f.p99.toFixed(2)} ms  server CPU ${f.cpuUs?.toFixed(1) ?? '-'} us/message  RSS ${f.rss ?? '-'}${ratio}`,
  );
}

async function main() {
  if (!existsSync(join(pkg, 'dist/main.js')) || args.includes('--build')) {
    const b = spawnSync('pnpm', ['exec', 'tsc', '-b'], { cwd: pkg, stdio: 'inherit' });
    if (b.status !== 0) process.exit(1);
  }
  console.log(
    `machine: ${cpus().length} cores, load average ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')} (figures on a busy machine are noisy; the ratios compare runs made minutes apart)`,
  );
  console.log(`game server Node flags (catalog NODE_OPTIONS): ${nodeOptions || '-'}`);
  console.log(
    `load: ${ROOMS} rooms x ${PER_ROOM} clients = ${ROOMS * PER_ROOM}, one drawer per room, ${RATE} strokes/s for ${SECONDS} s (loopback)`,
  );
  const runs: {
    raw: Figures;
    one?: Figures | undefined;
    two?: Figures | undefined;
    rawTwo?: Figures | undefined;
  }[] = [];
  for (let i = 1; i <= REPEAT; i++) {
    console.log(`run ${i}/${REPEAT}`);
    const raw = await benchRaw();
    print(raw);
    const one = SINGLE ? await benchGame(1) : undefined;
    if (one) print(one, raw);
    const two = REPLICAS ? await benchGame(2) : undefined;
    if (two) print(two, raw);
    // The same Redis hop with nothing else: what 2 replicas cost on this machine at the least.
    const rawTwo = REPLICAS ? await benchRaw(2) : undefined;
    if (rawTwo) print(rawTwo, raw);
    runs.push({ raw, one, two, rawTwo });
  }
  const median = (xs: number[]) => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const summary = (label: string, pick: (r: (typeof runs)[number]) => Figures | undefined) => {
    const rs = runs.map((r) => ({ f: pick(r)!, raw: r.raw })).filter((r) => r.f);
    if (!rs.length) return;
    const p99 = rs.map((r) => r.f.p99 / r.raw.p99);
    const p50 = rs.map((r) => r.f.p50 / r.raw.p50);
    const lost = rs.reduce((a, r) => a + r.f.expected - r.f.delivered, 0);
    console.log(
      `${label.padEnd(26)} median p99 ratio ${median(p99).toFixed(2)}x (runs ${p99.map((x) => x.toFixed(2)).join(', ')}), median p50 ratio ${median(p50).toFixed(2)}x, lost ${lost}`,
    );
  };
  console.log(`summary over ${REPEAT} run(s):`);
  summary('game server', (r) => r.one);
  summary('game server x2 + Redis', (r) => r.two);
  summary('raw ws relay x2 + Redis', (r) => r.rawTwo);
  console.log(
    'targets: nothing lost; p99 <= 1.0x raw (one server), <= 1.5x raw (2 replicas + Redis); RSS <= 120 MB at 1,000 clients',
  );
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
