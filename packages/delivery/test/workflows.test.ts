import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { quickstartCommands } from '../src/readme';

const root = join(__dirname, '../../..');
const dir = join(root, '.github/workflows');
const validator = join(require.resolve('@action-validator/cli/package.json'), '..', 'cli.mjs');

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, unknown>;
}
interface Job {
  'runs-on': unknown;
  permissions?: Record<string, string> | string;
  concurrency?: unknown;
  environment?: unknown;
  needs?: unknown;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions?: Record<string, string> | string;
  concurrency?: unknown;
  jobs: Record<string, Job>;
}

const files = readdirSync(dir)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const load = (f: string): Workflow => parse(readFileSync(join(dir, f), 'utf8')) as Workflow;
const ci = load('ci.yml');
const images = load('images.yml');
const infra = load('infra.yml');

function validate(file: string) {
  return spawnSync(process.execPath, [validator, file], { encoding: 'utf8' });
}

/** The run lines of a job, one per command line (continuations kept), in order. */
const runs = (job: Job) => job.steps.filter((s) => s.run !== undefined).map((s) => s.run!.trim());

describe('workflows', () => {
  it('are exactly ci, images and infra', () => {
    expect(files).toEqual(['ci.yml', 'images.yml', 'infra.yml']);
  });

  it.each(files)('%s passes action-validator', (f) => {
    const r = validate(join(dir, f));
    expect({
      status: r.status,
      out: r.stdout + r.stderr.replace(/^WARNING: Glob validation.*\n/gm, ''),
    }).toEqual({ status: 0, out: '' });
  });

  it('action-validator rejects a broken workflow (the check can fail)', () => {
    const tmp = mkdtempSync(join(tmpdir(), 'delivery-wf-'));
    try {
      const broken = readFileSync(join(dir, 'ci.yml'), 'utf8').replace('runs-on:', 'runs-onn:');
      writeFileSync(join(tmp, 'ci.yml'), broken);
      const r = validate(join(tmp, 'ci.yml'));
      expect(r.status).not.toBe(0);
      expect(r.stdout + r.stderr).toMatch(/runs-onn/);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  const all = files.flatMap((f) =>
    Object.entries(load(f).jobs).map(([name, job]) => [`${f}:${name}`, f, job] as const),
  );

  it.each(all)('%s runs on the self-hosted ARM64 runner with a time limit', (_id, _f, job) => {
    expect(job['runs-on']).toEqual(['self-hosted', 'linux', 'arm64']);
    expect((job as { 'timeout-minutes'?: number })['timeout-minutes']).toBeGreaterThan(0);
  });

  it.each(all)('%s has least-privilege permissions and a concurrency group', (_id, f, job) => {
    const wf = load(f);
    expect(wf.permissions).toEqual({ contents: 'read' });
    const perms = job.permissions ?? wf.permissions;
    expect(typeof perms).toBe('object');
    const writes = Object.entries(perms as Record<string, string>)
      .filter(([, v]) => v === 'write')
      .map(([k]) => k)
      .sort();
    const allowed: Record<string, string[]> = {
      'images.yml:bump': ['contents'],
      'infra.yml:plan': ['id-token', 'pull-requests'],
      'infra.yml:deploy': ['id-token'],
    };
    expect(writes).toEqual(allowed[_id] ?? []);
    expect(job.concurrency ?? wf.concurrency).toBeDefined();
  });

  it.each(files)('%s pins every action to a full commit, with its release in a comment', (f) => {
    const uses = readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter((l) => /^\s*(- )?uses:/.test(l));
    expect(uses.length).toBeGreaterThan(0);
    for (const l of uses) expect(l).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it.each(all)('%s has shell steps that bash can parse', (_id, _f, job) => {
    for (const script of runs(job)) {
      // expressions are substituted by the runner before bash sees the script
      const text = script.replace(/\$\{\{[^}]*\}\}/g, 'EXPR');
      const r = spawnSync('bash', ['-n'], { input: text, encoding: 'utf8' });
      expect({ script, stderr: r.stderr }).toEqual({ script, stderr: '' });
    }
  });

  it.each(files)('%s caches its dependencies', (f) => {
    const text = readFileSync(join(dir, f), 'utf8');
    expect(text).toContain('uses: actions/cache@');
    expect(text).toMatch(/path: \.toolchain/);
  });

  it('name no registry host, account or credential in the repository', () => {
    for (const f of files) {
      const text = readFileSync(join(dir, f), 'utf8');
      // registry and AWS settings come from variables and secrets only
      const hosts = [
        ...text.matchAll(/\b[a-z0-9-]+(\.[a-z0-9-]+)*\.(io|com|net|org|dev|cloud|internal|lan)\b/g),
      ].map((m) => m[0]);
      // GitHub's own bot address is the only host name allowed
      expect(hosts.filter((h) => h !== 'users.noreply.github.com')).toEqual([]);
      expect(text).not.toMatch(/arn:aws:/);
      expect(text).not.toMatch(/\b\d{12}\b/);
      expect(text).not.toMatch(/password:[ \t]+(?!\$\{\{\s*secrets\.)\S/i);
    }
  });
});

describe('ci.yml', () => {
  const job = ci.jobs.test!;
  const lines = runs(job);

  it('runs on pull requests and pushes', () => {
    expect(Object.keys(ci.on)).toEqual(expect.arrayContaining(['pull_request', 'push']));
  });

  it("runs the README's quickstart commands, in order", () => {
    const readmePath = join(root, 'README.md');
    // Until the README lands, the block it must contain (the lead writes it):
    const readme = existsSync(readmePath)
      ? readFileSync(readmePath, 'utf8')
      : '## Quickstart\n\n```bash\nbash .ci/setup\nbash .ci/test\n```\n';
    const commands = quickstartCommands(readme);
    expect(commands.length).toBeGreaterThan(0);
    const positions = commands.map((c) => lines.indexOf(c));
    expect(positions.every((p) => p >= 0)).toBe(true);
    expect([...positions].sort((a, b) => a - b)).toEqual(positions);
  });

  it('then lints, type-checks, synthesizes, fails on drift of the committed output, and runs the policy', () => {
    const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
    const order = [
      at(/^bash \.ci\/test$/),
      at(/pnpm lint$/),
      at(/pnpm typecheck$/),
      at(/pnpm synth$/),
      at(/git status --porcelain -- infra-k8s\/dist docs\/architecture\.md/),
      at(/pnpm policy$/),
    ];
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(lines[order[4]!]).toMatch(/exit 1/);
  });

  it('has PostgreSQL, Redis and RabbitMQ for the tests', () => {
    const services = (job as unknown as { services: Record<string, { image: string }> }).services;
    expect(Object.keys(services).sort()).toEqual(['postgres', 'rabbitmq', 'redis']);
    for (const s of Object.values(services)) expect(s.image).toMatch(/^[a-z]+:\d+(\.\d+)*-alpine$/);
  });

  it('cancels superseded runs of the same branch', () => {
    expect(ci.concurrency).toEqual({
      group: expect.stringContaining('github.ref'),
      'cancel-in-progress': true,
    });
  });
});

describe('images.yml', () => {
  const text = readFileSync(join(dir, 'images.yml'), 'utf8');

  it('builds only commits ci passed on main, one run at a time, never cancelling one that may be about to commit', () => {
    expect(Object.keys(images.on).sort()).toEqual(['workflow_dispatch', 'workflow_run']);
    expect(images.on.workflow_run).toEqual({ workflows: ['ci'], types: ['completed'], branches: ['main'] });
    const changes = images.jobs.changes! as Job & { if: string };
    expect(changes.if).toContain("github.event.workflow_run.conclusion == 'success'");
    expect(changes.if).toContain("github.event.workflow_run.event == 'push'");
    expect(images.concurrency).toEqual({ group: 'images-main', 'cancel-in-progress': false });
    // the commit ci passed on is the one checked out, tagged and named in the bump commit
    expect((images as unknown as { env: Record<string, string> }).env.SOURCE_SHA).toBe(
      '${{ github.event.workflow_run.head_sha || github.sha }}',
    );
    expect(text).not.toContain('github.event.before');
    expect(runs(images.jobs.bump!).join('\n')).toContain('Built from ${SOURCE_SHA} by');
  });

  it('builds every app changed since the commit the last pinned images were built from', () => {
    // GitHub keeps only the newest pending run of a concurrency group: a push whose run was
    // replaced must still be built by the next run. Run the workflow's own lines in a repository.
    const detect = images.jobs.changes!.steps.find((s) => s.name === 'Detect')!.run!;
    const lines = detect.split('\n');
    const from = lines.findIndex((l) => l.includes('base="$(git log origin/main'));
    const findBase = lines.slice(from, from + 2).join('\n');
    const repo = mkdtempSync(join(tmpdir(), 'images-base-'));
    const git = (...a: string[]) => {
      const r = spawnSync('git', a, { cwd: repo, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      return r.stdout.trim();
    };
    const commit = (file: string, message: string[]) => {
      writeFileSync(join(repo, file), `${file} ${Math.random()}`);
      git('add', '-A');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', ...message.flatMap((m) => ['-m', m]));
      return git('rev-parse', 'HEAD');
    };
    try {
      git('init', '-q', '-b', 'main');
      const built = commit('auth.ts', ['auth']);
      commit('images.lock.json', ['images: pin auth by digest', `Built from ${built} by images run 1.`]);
      commit('chat.ts', ['chat: the push whose run was replaced']);
      const head = commit('my.ts', ['my']);
      git('update-ref', 'refs/remotes/origin/main', head);
      const r = spawnSync('bash', ['-c', `set -euo pipefail\n${findBase}\necho "$base"`], {
        cwd: repo,
        encoding: 'utf8',
      });
      expect(r.stdout.trim()).toBe(built);
      expect(git('diff', '--name-only', built, head).split('\n').sort()).toEqual([
        'chat.ts',
        'images.lock.json',
        'my.ts',
      ]);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('builds the changed apps for amd64 and arm64 with buildx and pushes them to the configured registry', () => {
    const build = images.jobs.build!;
    expect((build as unknown as { strategy: { matrix: string } }).strategy.matrix).toContain(
      'needs.changes.outputs.matrix',
    );
    const step = build.steps.find((s) => s.uses?.startsWith('docker/build-push-action@'))!;
    expect(step.with).toMatchObject({
      platforms: 'linux/amd64,linux/arm64',
      push: true,
      target: '${{ matrix.target }}',
      'build-args': 'APP=${{ matrix.app }}',
    });
    expect(String(step.with!.tags)).toMatch(
      /^\$\{\{ vars\.REGISTRY_HOST \}\}\/hybrid\/\$\{\{ matrix\.app \}\}:sha-/,
    );
    expect(build.steps.some((s) => s.uses?.startsWith('docker/setup-buildx-action@'))).toBe(true);
    const login = build.steps.find((s) => s.uses?.startsWith('docker/login-action@'))!;
    expect(login.with).toEqual({
      registry: '${{ vars.REGISTRY_HOST }}',
      username: '${{ vars.REGISTRY_USERNAME }}',
      password: '${{ secrets.REGISTRY_PASSWORD }}',
    });
  });

  it('names the images in the registry they are pushed to, in the bump commit and in ci', () => {
    // Without the host a pinned `hybrid/auth@sha256:…` would be pulled from Docker Hub.
    const step = images.jobs.bump!.steps.find((s) => s.run?.includes('pnpm bump-images'))!;
    expect(step.env?.IMAGE_REGISTRY).toBe('${{ vars.REGISTRY_HOST }}');
    // ci synthesizes the same way, so its drift check agrees with the bump commits.
    const test = ci.jobs.test! as Job & { env: Record<string, string> };
    expect(test.env.IMAGE_REGISTRY).toBe('${{ vars.REGISTRY_HOST }}');
  });

  it('pins the pushed digests with bump-images, re-synthesizes and commits as the bot', () => {
    const bump = runs(images.jobs.bump!).join('\n');
    expect(bump).toContain('pnpm bump-images "${refs[@]}"');
    expect(bump).toContain(
      'for p in packages/catalog/images.lock.json infra-k8s/dist docs/architecture.md; do',
    );
    expect(bump).toContain('git add -A -- "$p"');
    expect(bump).toContain("git config user.name 'github-actions[bot]'");
    expect(text).toContain('steps.build.outputs.digest');
    expect(text).toMatch(/\^sha256:\[0-9a-f\]\{64\}\$/);
  });
});

describe('infra.yml', () => {
  it('plans pull requests that touch infra-aws and posts the plan as a comment', () => {
    expect((infra.on.pull_request as { paths: string[] }).paths).toContain('infra-aws/**');
    const plan = infra.jobs.plan!;
    const lines = runs(plan).join('\n');
    expect(lines).toContain('pnpm exec cdktn synth');
    expect(lines).toMatch(/terraform -chdir="\$dir" plan -input=false/);
    const comment = plan.steps.find((s) => s.uses?.startsWith('actions/github-script@'))!;
    expect(String(comment.with!.script)).toMatch(/createComment|updateComment/);
  });

  it('deploys one stack on manual dispatch behind the environment approval', () => {
    const inputs = (infra.on.workflow_dispatch as { inputs: Record<string, { required: boolean }> }).inputs;
    expect(Object.keys(inputs)).toEqual(['stack']);
    const deploy = infra.jobs.deploy!;
    expect(deploy.environment).toBe('aws');
    const lines = runs(deploy).join('\n');
    expect(lines).toContain('pnpm exec cdktn deploy "$STACK" --auto-approve');
    // the input reaches the shell through the environment, never spliced into the script
    expect(lines).not.toContain('${{');
  });
});

describe('the CI/CD documentation', () => {
  it('names every repository variable and secret the workflows read', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const section = readme.indexOf('## CI/CD');
    expect(section).toBeGreaterThan(0);
    const doc = readme.slice(section);
    const used = new Set(
      files.flatMap((f) =>
        [...readFileSync(join(dir, f), 'utf8').matchAll(/\b(?:vars|secrets)\.([A-Z][A-Z0-9_]*)/g)].map(
          (m) => m[1]!,
        ),
      ),
    );
    expect([...used].sort()).toEqual([
      'AWS_DEPLOY_ROLE_ARN',
      'AWS_PLAN_ROLE_ARN',
      'AWS_REGION',
      'REGISTRY_HOST',
      'REGISTRY_PASSWORD',
      'REGISTRY_USERNAME',
    ]);
    for (const name of used) expect(doc).toContain(`\`${name}\``);
    expect(doc).toContain('```mermaid');
    expect(doc).toMatch(/git revert <bump commit>/);
  });
});
