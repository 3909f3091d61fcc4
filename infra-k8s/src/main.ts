/**
 * `pnpm synth` (infra-k8s): synthesizes both clusters into dist/, regenerates
 * docs/architecture.md, and prints a summary per cluster. Fails on schema errors and on any
 * node pool over its memory budget (with a table of who uses what).
 */
import { resolve } from 'node:path';
import { configFromEnv } from './config';
import { summary, synthAll, writeOutputs } from './synth';

const root = resolve(__dirname, '../..');
synthAll(configFromEnv(), root).then(
  (result) => {
    const { written, removed } = writeOutputs(
      result,
      resolve(root, 'infra-k8s/dist'),
      resolve(root, 'docs/architecture.md'),
    );
    for (const c of result.clusters) console.log(summary(c));
    console.log(
      `infra-k8s: ${written} files written, ${removed} removed, ${result.clusters.reduce((s, c) => s + c.files.size, 0)} manifests; docs/architecture.md up to date`,
    );
  },
  (e: unknown) => {
    console.error((e as Error).message);
    process.exit(1);
  },
);
