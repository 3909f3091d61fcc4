// Prints the GitHub Actions matrix of images to build: {"include":[{"app":...,"target":...}]}.
// Usage: changed-apps-cli.ts --all | <changed file> ...   (or the file list on stdin with "-")
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { catalog } from '@hybrid/catalog';
import { changedApps, type ImageBuild } from './changed-apps';

const root = resolve(__dirname, '../../..');
const apps = catalog.workloads.filter((w) => w.kind !== 'data').map((w) => ({ name: w.name, kind: w.kind }));
const args = process.argv.slice(2).filter((a) => a !== '--');
let builds: ImageBuild[];
if (args.includes('--all')) {
  builds = changedApps(root, apps, ['pnpm-lock.yaml']);
} else {
  const files = args.includes('-') ? readFileSync(0, 'utf8').split('\n') : args;
  builds = changedApps(
    root,
    apps,
    files.map((f) => f.trim()).filter((f) => f.length > 0),
  );
}
console.log(JSON.stringify({ include: builds }));
