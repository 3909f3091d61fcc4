/**
 * `pnpm bench web`: the web client's budgets.
 *  1. Initial JavaScript, gzipped (budget 150 KB): everything index.html loads before the app runs.
 *  2. Stroke latency browser -> browser over loopback (budget p95 100 ms): two Debian chromium
 *     pages in a real room; the drawer's page gets real pointer events at 60 Hz; for every point,
 *     the time from its input event to the first frame it is painted on the guesser's canvas.
 *     Reference measured in the same run: the same relay between two Node protocol clients (no
 *     browser, no canvas), the floor the server and socket.io impose.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { build } from 'vite';
import { GameClient } from '../src/client';
import { startSite } from '../scripts/site-server';
import { freePort, launchBrowser, startGameServer } from '../test/helpers';
import type { Page } from 'playwright-core';

const ROOT = resolve(__dirname, '..');
const OUT = join(ROOT, '.bench', 'site');
const GESTURES = 4;
const POINTS_PER_GESTURE = 150;
const KB = 1024;

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const fmt = (n: number) => n.toFixed(1);

async function initialJs(): Promise<{ raw: number; gz: number; files: string[] }> {
  const html = readFileSync(join(OUT, 'index.html'), 'utf8');
  const refs = [
    ...html.matchAll(/<(?:script[^>]*src|link[^>]*rel="modulepreload"[^>]*href)="([^"]+\.js)"/g),
  ].map((m) => m[1]!);
  let raw = 0;
  let gz = 0;
  for (const r of refs) {
    const buf = readFileSync(join(OUT, r.replace(/^\//, '')));
    raw += buf.length;
    gz += gzipSync(buf, { level: 9 }).length;
  }
  return { raw, gz, files: refs };
}

async function nodeReference(url: string, n: number): Promise<number[]> {
  const a = new GameClient({ url });
  const b = new GameClient({ url });
  await Promise.all([a.ready(), b.ready()]);
  const { code } = await a.create('RefA');
  await a.join(code, 'RefA');
  await b.join(code, 'RefB');
  const choices = new Promise<GameClient>((ok) => {
    a.on('word:choices', () => ok(a));
    b.on('word:choices', () => ok(b));
  });
  await a.start();
  const drawer = await choices;
  const other = drawer === a ? b : a;
  await drawer.chooseWord(0);
  const lat: number[] = [];
  for (let i = 0; i < n; i++) {
    const got = new Promise<number>((ok) => {
      const off = other.on('draw:stroke', () => {
        off();
        ok(performance.now());
      });
    });
    const t0 = performance.now();
    await drawer.stroke({
      points: [
        [i / n, 0.5],
        [i / n, 0.6],
      ],
      color: '#000000',
      size: 4,
      tool: 'pen',
    });
    lat.push((await got) - t0);
    await new Promise((r) => setTimeout(r, 16));
  }
  a.close(true);
  b.close(true);
  return lat;
}

async function main(): Promise<void> {
  const sitePort = await freePort();
  const siteOrigin = `http://127.0.0.1:${sitePort}`;
  const game = await startGameServer({ corsOrigins: [siteOrigin] });
  try {
    // The production build, pointed at the game server directly (as the CDN site is at the API host).
    process.env.VITE_GAME_URL = game.url;
    await build({
      root: ROOT,
      configFile: join(ROOT, 'vite.config.mjs'),
      logLevel: 'warn',
      build: { outDir: OUT, emptyOutDir: true },
    });
    const js = await initialJs();
    const total = readdirSync(join(OUT, 'assets')).reduce(
      (s, f) => s + statSync(join(OUT, 'assets', f)).size,
      0,
    );
    console.log(
      `initial JS: ${fmt(js.gz / KB)} KB gzipped (${fmt(js.raw / KB)} KB raw, ${js.files.length} file) — budget 150 KB: ${js.gz <= 150 * KB ? 'OK' : 'OVER'}`,
    );
    console.log(`all assets: ${fmt(total / KB)} KB raw`);

    const ref = await nodeReference(game.url, 200);
    console.log(
      `reference node->node stroke relay: p50 ${fmt(pct(ref, 50))} ms, p95 ${fmt(pct(ref, 95))} ms (n=${ref.length})`,
    );

    const site = await startSite({ dir: OUT, port: sitePort });
    const browser = await launchBrowser();
    try {
      const context = async () => {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        // tsx keeps function names with a __name helper that the page does not have.
        await ctx.addInitScript('globalThis.__name = (f) => f;');
        return ctx.newPage();
      };
      const pageA = await context();
      const pageB = await context();
      await pageA.goto(site.url);
      await pageA.fill('#nickname', 'BenchA');
      await pageA.click('#create-btn');
      await pageA.locator('#lobby-panel').waitFor();
      const code = new URL(pageA.url()).searchParams.get('room')!;
      await pageB.goto(`${site.url}/?room=${code}`);
      await pageB.fill('#nickname', 'BenchB');
      await pageB.click('#join-btn');
      await pageA.locator('#start-btn:not([disabled])').click();
      const drawer: Page = await Promise.race([
        pageA.waitForSelector('#word-choices button').then(() => pageA),
        pageB.waitForSelector('#word-choices button').then(() => pageB),
      ]);
      const viewer = drawer === pageA ? pageB : pageA;
      await drawer.locator('#word-choices button').first().click();
      await drawer.locator('#my-word').waitFor();
      await viewer.locator('#hint').waitFor();
      await viewer.evaluate(() => {
        const w = window as unknown as { __renders: { at: number; xs: number[] }[] };
        w.__renders = [];
        document.querySelector('#board')!.addEventListener('dg:render', (e) => {
          const d = (
            e as CustomEvent<{ at: number; op?: { type: string; stroke?: { points: [number, number][] } } }>
          ).detail;
          // The time the frame with this op is painted.
          requestAnimationFrame(() =>
            w.__renders.push({
              at: performance.timeOrigin + performance.now(),
              xs: d.op?.stroke?.points.map((p) => p[0]) ?? [],
            }),
          );
          void d.at;
        });
      });
      const inputs: Record<string, number> = await drawer.evaluate(
        async ([gestures, perGesture]) => {
          const c = document.querySelector<HTMLCanvasElement>('#board')!;
          const r = c.getBoundingClientRect();
          const times: Record<string, number> = {};
          const fire = (type: string, nx: number, ny: number) =>
            c.dispatchEvent(
              new PointerEvent(type, {
                bubbles: true,
                cancelable: true,
                pointerId: 1,
                pointerType: 'pen',
                isPrimary: true,
                button: 0,
                buttons: type === 'pointerup' ? 0 : 1,
                clientX: r.left + nx * r.width,
                clientY: r.top + ny * r.height,
              }),
            );
          for (let g = 0; g < gestures!; g++) {
            const y = 0.15 + g * 0.2;
            for (let i = 0; i < perGesture!; i++) {
              const nx = 0.05 + i * 0.005;
              // The x the model will store (normalized, 4 decimals) is the key.
              const key = (Math.round(((r.left + nx * r.width - r.left) / r.width) * 10000) / 10000).toFixed(
                4,
              );
              times[key + ':' + g] = performance.timeOrigin + performance.now();
              fire(i === 0 ? 'pointerdown' : 'pointermove', nx, y);
              await new Promise((res) => setTimeout(res, 16));
            }
            fire('pointerup', 0.05 + (perGesture! - 1) * 0.005, y);
            await new Promise((res) => setTimeout(res, 100));
          }
          return times;
        },
        [GESTURES, POINTS_PER_GESTURE],
      );
      await new Promise((r) => setTimeout(r, 500));
      const renders = await viewer.evaluate(
        () => (window as unknown as { __renders: { at: number; xs: number[] }[] }).__renders,
      );
      // Gestures are drawn one after another, so a point's gesture is known from render order.
      const firstSeen = new Map<string, number>();
      let gesture = 0;
      let lastX = -1;
      for (const r of renders) {
        if (r.xs.length && r.xs[0]! < lastX - 0.1) gesture++;
        for (const x of r.xs) {
          const key = `${x.toFixed(4)}:${gesture}`;
          if (!firstSeen.has(key)) firstSeen.set(key, r.at);
        }
        if (r.xs.length) lastX = r.xs[r.xs.length - 1]!;
      }
      const lat: number[] = [];
      for (const [key, t] of Object.entries(inputs)) {
        const seen = firstSeen.get(key);
        if (seen !== undefined) lat.push(seen - t);
      }
      const missing = Object.keys(inputs).length - lat.length;
      console.log(
        `stroke latency browser->browser (input event to painted frame): p50 ${fmt(pct(lat, 50))} ms, p95 ${fmt(pct(lat, 95))} ms, max ${fmt(Math.max(...lat))} ms (n=${lat.length}, unmatched ${missing}) — budget p95 100 ms: ${pct(lat, 95) <= 100 ? 'OK' : 'OVER'}`,
      );
      console.log(`browser p95 / node reference p95: ${fmt(pct(lat, 95) / pct(ref, 95))}x`);
    } finally {
      await browser.close();
      await site.close();
    }
  } finally {
    await game.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
