import {
  DockerfileParser,
  type Arg,
  type Env,
  type From,
  type Instruction,
  type ModifiableInstruction,
} from 'dockerfile-ast';

/** One broken rule: its id, the line (1-based) and what to do about it. */
export interface DockerfileProblem {
  readonly rule: string;
  readonly line: number;
  readonly message: string;
}

interface Stage {
  readonly name: string | undefined;
  readonly from: From;
  readonly instructions: readonly Instruction[];
}

const SECRET_NAME = /(secret|token|passw(or)?d|passwd|api[_-]?key|private[_-]?key|credential|auth)/i;
const FULL_VERSION = /^\d+\.\d+\.\d+(-[a-z0-9.-]+)?$/;
const DIGEST = /^sha256:[0-9a-f]{64}$/;
const INITS = ['/usr/bin/tini', 'tini', '/usr/bin/dumb-init', 'dumb-init'];

const lineOf = (i: Instruction) => i.getRange().start.line + 1;
/** The instruction's arguments on one line, line continuations folded. */
const text = (i: Instruction) =>
  (i.getArgumentsContent() ?? '')
    .replace(/\\\r?\n/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();

function stagesOf(source: string): Stage[] {
  const df = DockerfileParser.parse(source);
  const stages: { name: string | undefined; from: From; instructions: Instruction[] }[] = [];
  for (const inst of df.getInstructions()) {
    if (inst.getKeyword() === 'FROM') {
      const from = inst as From;
      stages.push({ name: from.getBuildStage() ?? undefined, from, instructions: [] });
    } else stages.at(-1)?.instructions.push(inst);
  }
  return stages;
}

/** Exec-form JSON array of an ENTRYPOINT or CMD, or undefined for the shell form. */
function execForm(i: Instruction): string[] | undefined {
  try {
    const v: unknown = JSON.parse(text(i));
    return Array.isArray(v) && v.every((x) => typeof x === 'string') ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Checks a Dockerfile against the platform's image rules and returns every problem:
 * - `pinned-base`: each external base image has a full version tag AND a sha256 digest;
 * - `no-latest`: no `latest` tag anywhere (bases, `pkg@latest` installs);
 * - `non-root`: each stage that runs something (ENTRYPOINT/CMD, and the default last stage) ends as a non-root USER;
 * - `init`: those stages start an init process (tini or dumb-init) in exec form, so signals reach Node;
 * - `frozen-lockfile`: every `pnpm install` uses `--frozen-lockfile`, and npm installs only pinned global tools;
 * - `prod-deploy`: the app is assembled with `pnpm deploy --prod`;
 * - `no-secrets`: no ARG or ENV whose name looks like a credential;
 * - `read-only-root`: no VOLUME, and files copied into a running stage are not owned by the runtime user.
 */
export function checkDockerfile(source: string): DockerfileProblem[] {
  const problems: DockerfileProblem[] = [];
  const add = (rule: string, i: Instruction, message: string) =>
    problems.push({ rule, line: lineOf(i), message });
  const stages = stagesOf(source);
  if (stages.length === 0) return [{ rule: 'pinned-base', line: 1, message: 'no FROM instruction' }];
  const names = new Set<string>();
  let installs = 0;
  let deploys = 0;

  for (const [index, stage] of stages.entries()) {
    const f = stage.from;
    const image = f.getImageName();
    if (image && image !== 'scratch' && !names.has(image)) {
      const tag = f.getImageTag();
      const digest = f.getImageDigest();
      const shown = text(f).split(' ')[0];
      if (/\$/.test(text(f)))
        add(
          'pinned-base',
          f,
          `base "${shown}" uses a variable: write the image literally so it is reviewed and pinned`,
        );
      else if (tag === 'latest')
        add('no-latest', f, `base "${shown}" uses the floating tag latest: pin a version and a digest`);
      else if (!tag || !FULL_VERSION.test(tag.split('-')[0] ?? ''))
        add('pinned-base', f, `base "${shown}" needs a full version tag (like 24.19.0-bookworm-slim)`);
      if (!/\$/.test(text(f)) && (!digest || !DIGEST.test(digest)))
        add(
          'pinned-base',
          f,
          `base "${shown}" needs a digest: append @sha256:<64 hex> of the multi-arch index`,
        );
    }
    if (stage.name) names.add(stage.name);

    let user: string | undefined;
    let entry: string[] | undefined;
    let runs = false;
    const argDefaults = new Map<string, string>();
    for (const i of stage.instructions) {
      const k = i.getKeyword();
      // ARG defaults of this stage are substituted, so `pnpm@${PNPM_VERSION}` is checked as its pinned value.
      const t = text(i).replace(
        /\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g,
        (m, n: string) => argDefaults.get(n) ?? m,
      );
      if (/(^|[\s:@=])latest(\s|$|")/.test(t) && ['RUN', 'COPY', 'ADD', 'ENV', 'ARG'].includes(k)) {
        add('no-latest', i, `"latest" in ${k}: pin a version`);
      }
      if (k === 'ARG' || k === 'ENV') {
        for (const p of (i as Arg | Env).getProperties()) {
          const v = p.getValue();
          if (k === 'ARG' && v !== null) argDefaults.set(p.getName(), v);
          if (SECRET_NAME.test(p.getName())) {
            add(
              'no-secrets',
              i,
              `${k} ${p.getName()} looks like a credential: build args and env are stored in the image; use RUN --mount=type=secret`,
            );
          }
        }
      }
      if (k === 'RUN') {
        for (const m of t.matchAll(/\bpnpm\s+(?:[^&|;]*\s)?install\b[^&|;]*/g)) {
          installs++;
          if (!/--frozen-lockfile\b/.test(m[0]))
            add('frozen-lockfile', i, `"${m[0].trim()}" must use --frozen-lockfile`);
        }
        for (const m of t.matchAll(/\bnpm\s+(?:install|i|ci)\b[^&|;]*/g)) {
          const pinnedGlobal =
            /(--global|-g)\b/.test(m[0]) && /\S+@\d+\.\d+\.\d+/.test(m[0]) && !/@(latest|next)\b/.test(m[0]);
          if (!pinnedGlobal)
            add(
              'frozen-lockfile',
              i,
              `"${m[0].trim()}": dependencies come from pnpm-lock.yaml; npm may only install a pinned global tool`,
            );
        }
        if (/\bpnpm\b[^&|;]*\bdeploy\b[^&|;]*--prod\b/.test(t)) deploys++;
      }
      if (k === 'USER') user = t;
      if (k === 'VOLUME')
        add(
          'read-only-root',
          i,
          'VOLUME makes a writable path at run time: mount an emptyDir from the manifest instead',
        );
      if (k === 'ENTRYPOINT') entry = execForm(i) ?? [t];
      if (k === 'ENTRYPOINT' || k === 'CMD') runs = true;
    }
    const isDefault = index === stages.length - 1;
    if (runs || isDefault) {
      const uid = user?.split(':')[0];
      if (!user || uid === 'root' || uid === '0') {
        add('non-root', f, `stage "${stage.name ?? index}" runs as root: end it with USER <non-root uid>`);
      }
      if (!entry || !INITS.includes(entry[0] ?? '')) {
        add(
          'init',
          f,
          `stage "${stage.name ?? index}" needs an init process as PID 1: ENTRYPOINT ["/usr/bin/tini", "--"]`,
        );
      }
      if (user) {
        for (const i of stage.instructions) {
          if (i.getKeyword() !== 'COPY' && i.getKeyword() !== 'ADD') continue;
          const chown = (i as ModifiableInstruction)
            .getFlags()
            .find((fl) => fl.getName() === 'chown')
            ?.getValue();
          if (chown && chown.split(':')[0] === user.split(':')[0]) {
            add(
              'read-only-root',
              i,
              `files owned by the runtime user (${chown}) can be rewritten by the process: copy them as root`,
            );
          }
        }
      }
    }
  }
  const first = stages[0]!.from;
  if (installs === 0)
    add('frozen-lockfile', first, 'no "pnpm install --frozen-lockfile": install from the lock file');
  if (deploys === 0)
    add('prod-deploy', first, 'no "pnpm deploy --prod": ship only the app and its production dependencies');
  return problems;
}

/** The literal images of the FROM lines that are not build stages (for version checks). */
export function baseImages(source: string): { image: string; tag: string | null; digest: string | null }[] {
  const names = new Set<string>();
  const out: { image: string; tag: string | null; digest: string | null }[] = [];
  for (const s of stagesOf(source)) {
    const image = s.from.getImageName();
    if (image && image !== 'scratch' && !names.has(image))
      out.push({ image, tag: s.from.getImageTag(), digest: s.from.getImageDigest() });
    if (s.name) names.add(s.name);
  }
  return out;
}

/** The RUN commands of one build stage, flags (`--mount=...`) left out and continuations folded. */
export function stageRuns(source: string, stage: string): string[] {
  const s = stagesOf(source).find((x) => x.name === stage);
  if (!s) throw new Error(`no stage "${stage}" in the Dockerfile`);
  return s.instructions.filter((i) => i.getKeyword() === 'RUN').map(text);
}
