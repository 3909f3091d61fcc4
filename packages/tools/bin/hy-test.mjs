#!/usr/bin/env node
// Runs every workspace package's jest project in one jest process and closes with the line
// "N passed, N failed" (counting individual tests; a suite that fails without a failing test, such as
// one that cannot load or whose afterAll throws, counts as failed; see test-summary.cjs).
// Extra arguments are passed to jest, e.g. `pnpm test -- apps/info`.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createRequire } from 'node:module';

const root = resolve(import.meta.dirname, '../../..');
const projects = [];
for (const group of ['packages', 'apps', '.']) {
  const base = join(root, group);
  const dirs = group === '.' ? ['infra-aws', 'infra-k8s'] : existsSync(base) ? readdirSync(base) : [];
  for (const d of dirs) {
    const dir = join(base, d);
    if (existsSync(join(dir, 'jest.config.cjs'))) projects.push(dir);
  }
}

const require = createRequire(join(import.meta.dirname, '..', 'package.json'));
const jestBin = join(require.resolve('jest/package.json'), '..', 'bin', 'jest.js');
const out = mkdtempSync(join(tmpdir(), 'hy-test-'));
const report = join(out, 'report.json');
const args = [
  // jest supports require() of ESM-only packages natively when vm modules are enabled.
  '--experimental-vm-modules',
  '--no-warnings=ExperimentalWarning',
  jestBin,
  '--projects',
  ...projects,
  '--json',
  '--outputFile',
  report,
  '--maxWorkers',
  process.env.JEST_MAX_WORKERS ?? '2',
  ...process.argv.slice(2),
];
const run = spawnSync(process.execPath, args, { stdio: 'inherit', cwd: root, env: process.env });

const { summarize } = require('./bin/test-summary.cjs');
const { passed, failed, skipped, problem } = summarize(
  existsSync(report) ? JSON.parse(readFileSync(report, 'utf8')) : undefined,
  run.status,
);
if (problem) console.error(`hy-test: ${problem}`);
rmSync(out, { recursive: true, force: true });
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(run.status === 0 && failed === 0 ? 0 : 1);
