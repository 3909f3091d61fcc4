// Runs once before this package's tests: makes Debian chromium available (never downloads a
// browser build) and builds the site for the browser tests into test-artifacts/site, with the game
// server on the page's own origin (the tests serve the site and forward the game paths to it).
const { execFileSync } = require('node:child_process');
const { join, resolve } = require('node:path');

module.exports = async () => {
  const script = resolve(__dirname, '../../../packages/tools/bin/test-browser.sh');
  try {
    process.env.CHROMIUM_PATH = execFileSync('bash', [script], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    }).trim();
  } catch (err) {
    const msg = String(err.stderr || err.message)
      .trim()
      .split('\n')
      .pop();
    throw new Error(msg || 'test-browser.sh failed');
  }
  const root = resolve(__dirname, '..');
  const { build } = await import('vite');
  const saved = process.env.VITE_GAME_URL;
  delete process.env.VITE_GAME_URL;
  try {
    await build({
      root,
      configFile: join(root, 'vite.config.mjs'),
      logLevel: 'warn',
      build: { outDir: join(root, 'test-artifacts', 'site'), emptyOutDir: true },
    });
  } finally {
    if (saved !== undefined) process.env.VITE_GAME_URL = saved;
  }
};
