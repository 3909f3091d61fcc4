#!/usr/bin/env node
// `pnpm bench <name>` runs the benchmark `bench/<name>.ts` of whichever workspace package has it.
// `pnpm bench` alone lists them.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve, relative } from 'node:path';

const root = resolve(import.meta.dirname, '../../..');
const benches = new Map();
for (const group of ['packages', 'apps', '.']) {
  const base = join(root, group);
  const dirs = group === '.' ? ['infra-aws', 'infra-k8s'] : existsSync(base) ? readdirSync(base) : [];
  for (const d of dirs) {
    const bdir = join(base, d, 'bench');
    if (!existsSync(bdir)) continue;
    for (const f of readdirSync(bdir)) {
      if (f.endsWith('.ts') && !f.endsWith('.d.ts')) benches.set(f.slice(0, -3), join(bdir, f));
    }
  }
}
const [name, ...rest] = process.argv.slice(2);
if (!name || !benches.has(name)) {
  if (name) console.error(`hy-bench: no benchmark named "${name}"`);
  console.error('available benchmarks:');
  for (const [n, f] of [...benches].sort()) console.error(`  ${n.padEnd(12)} ${relative(root, f)}`);
  process.exit(name ? 2 : 0);
}
const file = benches.get(name);
const r = spawnSync(process.execPath, ['--conditions=development', '--import', 'tsx', file, ...rest], {
  stdio: 'inherit',
  cwd: join(file, '..', '..'),
});
process.exit(r.status ?? 1);
