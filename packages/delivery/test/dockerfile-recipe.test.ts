import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { stageRuns } from '../src/dockerfile-rules';
import { dockerignoreMatcher } from '../src/dockerignore';
import { repoRoot } from './helpers/temp-repo';

// No Docker engine here: the build stage's RUN commands are executed as written, in a copy of
// the build context (the files .dockerignore lets through), with the store and /out moved to
// temporary paths. The target is a real workspace chain (service-kit -> catalog, with fastify, pg,
// ...), reached through APP the way the Dockerfile resolves apps/$APP.
const APP = '../packages/service-kit';
let context: string;
let out: string;
const results: { cmd: string; status: number | null; output: string }[] = [];

beforeAll(() => {
  const base = mkdtempSync(join(tmpdir(), 'delivery-recipe-'));
  context = join(base, 'repo');
  out = join(base, 'out');
  const ignored = dockerignoreMatcher(readFileSync(join(repoRoot, '.dockerignore'), 'utf8'));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f && !ignored(f) && existsSync(join(repoRoot, f)));
  for (const f of files) {
    mkdirSync(dirname(join(context, f)), { recursive: true });
    copyFileSync(join(repoRoot, f), join(context, f));
  }
  // apps/ holds the apps; APP climbs out of it, so it must exist even before any app is written
  mkdirSync(join(context, 'apps'), { recursive: true });
  const store = execFileSync('pnpm', ['store', 'path'], { cwd: repoRoot, encoding: 'utf8' }).trim();
  for (const run of stageRuns(readFileSync(join(repoRoot, 'Dockerfile'), 'utf8'), 'build')) {
    const cmd = run
      .replaceAll('/pnpm/store', store)
      .replaceAll(' /out', ` ${out}`)
      .replace('/dist/main.js', '/dist/index.js');
    const r = spawnSync('bash', ['-ec', cmd], {
      cwd: context,
      env: { ...process.env, APP, CI: 'true' },
      encoding: 'utf8',
    });
    results.push({ cmd, status: r.status, output: `${r.stdout}${r.stderr}`.slice(-2000) });
    if (r.status !== 0) break;
  }
}, 240_000);
afterAll(() => rmSync(dirname(context), { recursive: true, force: true }));

describe('the Dockerfile build stage, run without Docker', () => {
  it('installs from the frozen lock file, builds and deploys with every command succeeding', () => {
    expect(results.length).toBeGreaterThanOrEqual(4);
    for (const r of results) expect({ cmd: r.cmd, status: r.status }).toEqual({ cmd: r.cmd, status: 0 });
  });

  it('deploys the package with its built workspace dependencies and production dependencies only', () => {
    expect(existsSync(join(out, 'dist/index.js'))).toBe(true);
    expect(existsSync(join(out, 'node_modules/@hybrid/catalog/dist/src/index.js'))).toBe(true);
    expect(existsSync(join(out, 'node_modules/fastify'))).toBe(true);
    for (const dev of ['@hybrid/tools', 'typescript', 'jest', '@types/pg']) {
      expect([dev, existsSync(join(out, 'node_modules', dev))]).toEqual([dev, false]);
    }
  });

  it('loads in production mode from the deployed files alone', () => {
    const r = spawnSync(
      process.execPath,
      ['-e', "const k = require('./dist/index.js'); console.log(typeof k.buildService)"],
      {
        cwd: out,
        env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production' },
        encoding: 'utf8',
      },
    );
    expect({ status: r.status, stdout: r.stdout.trim(), stderr: r.stderr }).toEqual({
      status: 0,
      stdout: 'function',
      stderr: '',
    });
  });
});
