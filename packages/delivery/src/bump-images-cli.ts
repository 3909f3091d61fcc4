// pnpm bump-images <app>=<ref> ...: pins image references in the catalog's lock file and
// re-synthesizes the committed manifests. Exit 2 on bad input (nothing changed), 1 when synth fails.
import { resolve } from 'node:path';
import { BumpError, bumpImages } from './bump-images';

const args = process.argv.slice(2).filter((a) => a !== '--');
const noSynth = args.includes('--no-synth');
const root = resolve(__dirname, '../../..');
try {
  const result = bumpImages(
    root,
    args.filter((a) => a !== '--no-synth'),
    { synth: !noSynth },
  );
  if (result.changed.length === 0)
    console.log('bump-images: every reference was already pinned as asked; nothing changed');
  for (const c of result.changed) console.log(`bump-images: ${c.app} ${c.from} -> ${c.to}`);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(err instanceof BumpError ? 2 : 1);
}
