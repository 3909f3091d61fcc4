/**
 * Local play: `pnpm --filter @hybrid/web play` builds the site, starts the game server with its
 * embedded defaults (no Redis, no PostgreSQL) and serves both on one address, by default
 * http://localhost:5173. Open it in two tabs (or on a phone on the same network with HOST=0.0.0.0).
 * Env: PORT (site, 5173), GAME_PORT (game server, 3000), HOST (127.0.0.1).
 */
import { resolve } from 'node:path';
import { build } from 'vite';
import { startGameServer } from './game-server';
import { startSite } from './site-server';

const ROOT = resolve(__dirname, '..');
const OUT = resolve(ROOT, '.play', 'site');

async function main(): Promise<void> {
  const port = Number(process.env.PORT ?? 5173);
  const gamePort = Number(process.env.GAME_PORT ?? 3000);
  const host = process.env.HOST ?? '127.0.0.1';
  for (const [name, v] of [
    ['PORT', port],
    ['GAME_PORT', gamePort],
  ] as const)
    if (!Number.isInteger(v) || v < 1 || v > 65535)
      throw new Error(`${name} must be a port number (1-65535), got ${String(v)}`);

  console.log('play: building the web client…');
  delete process.env.VITE_GAME_URL; // the page talks to its own origin, which forwards to the game server
  await build({
    root: ROOT,
    configFile: resolve(ROOT, 'vite.config.mjs'),
    logLevel: 'warn',
    build: { outDir: OUT, emptyOutDir: true },
  });

  const origins = [`http://localhost:${port}`, `http://127.0.0.1:${port}`];
  if (host !== '127.0.0.1' && host !== 'localhost') origins.push('*');
  console.log('play: starting the game server (in-memory, no Redis or PostgreSQL needed)…');
  const game = await startGameServer({
    port: gamePort,
    corsOrigins: origins,
    inheritOutput: true,
    env: { LOG_LEVEL: 'warn' },
  });
  const site = await startSite({ dir: OUT, backend: game.url, port, host });
  console.log(
    `\nplay: DrawGuess is ready at http://localhost:${port} — open it in two tabs to play. Ctrl+C stops.\n`,
  );

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await site.close();
    await game.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((err: unknown) => {
  console.error(`play: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
