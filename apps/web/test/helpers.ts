/** Test and benchmark helpers: the real game server as a child process, the site, a headless Debian chromium. */
import { resolve } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { freePort, startGameServer, type GameServer } from '../scripts/game-server';
import { startSite, type SiteServer } from '../scripts/site-server';

export { freePort, startGameServer, type GameServer };
export const ARTIFACTS = resolve(__dirname, '..', 'test-artifacts');

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Debian chromium through playwright-core; never a downloaded browser. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

export interface Stack {
  readonly game: GameServer;
  readonly site: SiteServer;
  stop(): Promise<void>;
}

/** The game server plus the built site on one origin (the site forwards the game paths). */
export async function startStack(siteDir: string, env: Record<string, string> = {}): Promise<Stack> {
  const sitePort = await freePort();
  const origin = `http://127.0.0.1:${sitePort}`;
  const game = await startGameServer({ corsOrigins: [origin], env });
  const site = await startSite({ dir: siteDir, backend: game.url, port: sitePort });
  return {
    game,
    site,
    stop: async () => {
      await site.close();
      await game.stop();
    },
  };
}
