#!/usr/bin/env node
// `pnpm policy`: runs the policy packs of @hybrid/policy over the synthesized output.
import { spawnSync } from 'node:child_process';
import { resolve, join } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');
const cli = join(root, 'packages/policy/src/cli.ts');
const r = spawnSync(
  process.execPath,
  ['--conditions=development', '--import', 'tsx', cli, ...process.argv.slice(2)],
  {
    stdio: 'inherit',
    cwd: root,
  },
);
process.exit(r.status ?? 1);
