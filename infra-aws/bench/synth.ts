/**
 * `pnpm bench synth`: wall time and peak RSS of the whole root `pnpm synth` (every AWS stack, and the
 * Kubernetes charts once infra-k8s exists), against a reference measured in the same run: a Node
 * process that only imports `@cdktn/provider-aws` from its package root.
 * Targets: synth <= 0.5x the reference's time, and <= 250 MB peak RSS.
 * Options: --runs N (default 3).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../..');
const infra = resolve(__dirname, '..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
if (!Number.isInteger(runs) || runs < 1 || runs > 20) {
  console.error('bench synth: --runs must be a whole number from 1 to 20');
  process.exit(2);
}
const TIME = '/usr/bin/time';
const haveTime = existsSync(TIME);

interface Sample {
  readonly seconds: number;
  readonly peakMiB: number;
}

/**
 * Runs a command once and measures it: GNU time's "Maximum resident set size" is the largest RSS
 * of any process in the tree (the synth's node process, not pnpm). Without GNU time, /proc of the
 * child tree is sampled every 20 ms.
 */
function measure(cmd: string, args: string[], cwd: string): Sample {
  const dir = mkdtempSync(join(tmpdir(), 'bench-synth-'));
  try {
    const started = process.hrtime.bigint();
    if (haveTime) {
      const out = join(dir, 'time.txt');
      const r = spawnSync(TIME, ['-v', '-o', out, cmd, ...args], {
        cwd,
        stdio: ['ignore', 'ignore', 'pipe'],
        encoding: 'utf8',
      });
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
      const kb = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(readFileSync(out, 'utf8'))?.[1]);
      return { seconds, peakMiB: kb / 1024 };
    }
    return sampleProc(cmd, args, cwd, started);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sampleProc(cmd: string, args: string[], cwd: string, started: bigint): Sample {
  // A tiny shell loop samples VmHWM of every descendant until the command exits.
  const script = `"$@" >/dev/null 2>&1 & pid=$!; peak=0
while kill -0 $pid 2>/dev/null; do
  for p in $pid $(pgrep -P $pid) $(for c in $(pgrep -P $pid); do pgrep -P $c; done); do
    v=$(awk '/VmHWM/{print $2}' /proc/$p/status 2>/dev/null); [ -n "$v" ] && [ "$v" -gt "$peak" ] && peak=$v
  done; sleep 0.02
done; wait $pid; rc=$?; echo $peak; exit $rc`;
  const r = spawnSync('sh', ['-c', script, 'sh', cmd, ...args], { cwd, encoding: 'utf8' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} failed (${r.status})`);
  return { seconds, peakMiB: Number(r.stdout.trim()) / 1024 };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

const SYNTH = 'pnpm synth (root)';
const REF = 'reference: require @cdktn/provider-aws (package root)';
const PART = 'part: infra-aws app alone (node --require tsx/cjs)';
const subjects: Record<string, () => Sample> = {
  [SYNTH]: () => measure('pnpm', ['synth'], root),
  // Breakdown only (not a target): the AWS app by itself, without pnpm and the Kubernetes synth.
  [PART]: () =>
    measure(process.execPath, ['--conditions=development', '--require', 'tsx/cjs', 'src/main.ts'], infra),
  [REF]: () => measure(process.execPath, ['-e', "require('@cdktn/provider-aws')"], infra),
};
const results: Record<string, Sample[]> = {};
// Interleave runs so both see the same machine load.
for (let i = 0; i < runs; i++) {
  for (const [name, fn] of Object.entries(subjects)) (results[name] ??= []).push(fn());
}
const summary = Object.fromEntries(
  Object.entries(results).map(([name, xs]) => [
    name,
    { seconds: median(xs.map((x) => x.seconds)), peakMiB: Math.max(...xs.map((x) => x.peakMiB)) },
  ]),
);
console.log(`bench synth: ${runs} run(s) each, peak RSS by ${haveTime ? 'GNU time -v' : '/proc sampling'}`);
for (const [name, s] of Object.entries(summary)) {
  console.log(`  ${name.padEnd(56)} median ${s.seconds.toFixed(2)} s   peak RSS ${s.peakMiB.toFixed(0)} MiB`);
}
const synth = summary[SYNTH]!;
const ref = summary[REF]!;
const part = summary[PART]!;
const timeRatio = synth.seconds / ref.seconds;
const memRatio = synth.peakMiB / ref.peakMiB;
const timeOk = timeRatio <= 0.5;
console.log(`  (infra-aws app alone: ${(part.seconds / ref.seconds).toFixed(2)}x of the reference's time)`);
const memOk = synth.peakMiB * 1.048576 <= 250; // 250 MB
console.log(
  `  time ratio ${timeRatio.toFixed(2)}x of the reference (target <= 0.50x): ${timeOk ? 'met' : 'MISSED'}`,
);
console.log(
  `  memory ${(synth.peakMiB * 1.048576).toFixed(0)} MB, ${memRatio.toFixed(2)}x of the reference (target <= 250 MB): ${memOk ? 'met' : 'MISSED'}`,
);
process.exit(timeOk && memOk ? 0 : 1);
