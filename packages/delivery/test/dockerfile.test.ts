import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { baseImages, checkDockerfile } from '../src/dockerfile-rules';
import { dockerignoreMatcher } from '../src/dockerignore';

const root = join(__dirname, '../../..');
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');

const GOOD = `FROM node:24.19.0-bookworm-slim@sha256:${'a'.repeat(64)} AS node
FROM node AS build
ARG PNPM_VERSION=10.0.0
RUN npm install -g pnpm@\${PNPM_VERSION}
RUN pnpm install --frozen-lockfile && pnpm --filter x deploy --prod /out
FROM node AS runtime
COPY --from=build /out /app
USER 1000:1000
ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "dist/main.js"]
`;

const rules = (src: string) => [...new Set(checkDockerfile(src).map((p) => p.rule))].sort();

describe('the repository Dockerfile', () => {
  it('breaks none of the image rules', () => {
    expect(checkDockerfile(dockerfile)).toEqual([]);
  });

  it('starts from the Node major of .nvmrc, pinned by version and multi-arch digest', () => {
    const nodeMajor = readFileSync(join(root, '.nvmrc'), 'utf8').trim().split('.')[0];
    const bases = baseImages(dockerfile);
    expect(bases).toHaveLength(1);
    expect(bases[0]!.image).toBe('node');
    expect(bases[0]!.tag).toMatch(new RegExp(`^${nodeMajor}\\.\\d+\\.\\d+-`));
    expect(bases[0]!.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('installs the pnpm version of package.json "packageManager"', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { packageManager: string };
    const version = pkg.packageManager.replace(/^pnpm@/, '');
    expect(dockerfile).toContain(`ARG PNPM_VERSION=${version}\n`);
  });

  it('builds apps/$APP, runs dist/main.js, and has a static web target', () => {
    expect(dockerfile).toMatch(/^ARG APP$/m);
    expect(dockerfile).toContain('--filter "{./apps/${APP}}" deploy --legacy --prod --prefer-offline');
    expect(dockerfile).toContain('CMD ["node", "dist/main.js"]');
    expect(dockerfile).toMatch(/^FROM scratch AS web$/m);
    // runtime is the last stage, so it is what a build without --target produces
    expect(
      dockerfile
        .trimEnd()
        .split('\n')
        .filter((l) => l.startsWith('FROM '))
        .at(-1),
    ).toBe('FROM node AS runtime');
  });

  const ignored = dockerignoreMatcher(readFileSync(join(root, '.dockerignore'), 'utf8'));

  it('keeps dependencies, build output, git data and secrets out of the build context', () => {
    for (const p of [
      'node_modules/.pnpm/x/index.js',
      'packages/catalog/node_modules/@hybrid/catalog',
      '.toolchain/node-24/bin/node',
      'apps/auth/dist/main.js',
      'infra-k8s/dist/kubeadm/auth/deployment-auth.yaml',
      '.git/HEAD',
      '.env',
      'apps/auth/.env.local',
      'infra-aws/terraform.tfstate',
      'deploy.pem',
    ]) {
      expect([p, ignored(p)]).toEqual([p, true]);
    }
  });

  it('sends every committed source, package manifest and lock file the build needs', () => {
    const files = execFileSync('git', ['ls-files'], { cwd: root, encoding: 'utf8' })
      .split('\n')
      .filter(Boolean);
    const needed = files.filter(
      (f) =>
        /^(apps|packages)\/[^/]+\/(src\/|package\.json$|tsconfig\.json$|images\.lock\.json$)/.test(f) ||
        ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', '.npmrc', 'tsconfig.base.json'].includes(f),
    );
    expect(needed).toEqual(
      expect.arrayContaining(['package.json', 'pnpm-lock.yaml', 'packages/catalog/images.lock.json']),
    );
    expect(needed.filter((f) => ignored(f))).toEqual([]);
  });
});

describe('checkDockerfile', () => {
  it('accepts a minimal compliant Dockerfile', () => {
    expect(checkDockerfile(GOOD)).toEqual([]);
  });

  it.each([
    ['a base without digest', GOOD.replace(/@sha256:a+/, ''), 'pinned-base'],
    [
      'a base with only a major tag',
      GOOD.replace('24.19.0-bookworm-slim', '24-bookworm-slim'),
      'pinned-base',
    ],
    [
      'a base given through a variable',
      `ARG BASE=node:24.19.0@sha256:${'a'.repeat(64)}\n${GOOD.replace(/^FROM \S+/, 'FROM ${BASE}')}`,
      'pinned-base',
    ],
    [
      'the latest tag on a base',
      GOOD.replace(/node:24\.19\.0-bookworm-slim@sha256:a+/, 'node:latest'),
      'no-latest',
    ],
    ['a tool installed at latest', GOOD.replace('pnpm@${PNPM_VERSION}', 'pnpm@latest'), 'no-latest'],
    ['no USER in the running stage', GOOD.replace('USER 1000:1000\n', ''), 'non-root'],
    ['USER root', GOOD.replace('USER 1000:1000', 'USER root'), 'non-root'],
    ['USER 0', GOOD.replace('USER 1000:1000', 'USER 0:0'), 'non-root'],
    ['no init process', GOOD.replace('ENTRYPOINT ["/usr/bin/tini", "--"]\n', ''), 'init'],
    [
      'a shell-form entrypoint',
      GOOD.replace('ENTRYPOINT ["/usr/bin/tini", "--"]', 'ENTRYPOINT node dist/main.js'),
      'init',
    ],
    [
      'pnpm install without the frozen lock file',
      GOOD.replace('pnpm install --frozen-lockfile', 'pnpm install'),
      'frozen-lockfile',
    ],
    [
      'an npm install of the dependencies',
      GOOD.replace('pnpm install --frozen-lockfile', 'npm install'),
      'frozen-lockfile',
    ],
    ['no production deploy', GOOD.replace('deploy --prod', 'run build'), 'prod-deploy'],
    [
      'a secret build argument',
      GOOD.replace('ARG PNPM_VERSION', 'ARG NPM_TOKEN=x\nARG PNPM_VERSION'),
      'no-secrets',
    ],
    [
      'a password in the environment',
      GOOD.replace('USER 1000', 'ENV DB_PASSWORD=hunter2\nUSER 1000'),
      'no-secrets',
    ],
    ['a VOLUME', GOOD.replace('USER 1000', 'VOLUME /data\nUSER 1000'), 'read-only-root'],
    [
      'code owned by the runtime user',
      GOOD.replace('COPY --from=build', 'COPY --chown=1000:1000 --from=build'),
      'read-only-root',
    ],
  ])('rejects %s', (_what, source, rule) => {
    expect(rules(source)).toContain(rule);
  });

  it('names the line and the fix', () => {
    const [p] = checkDockerfile(GOOD.replace('USER 1000:1000', 'USER root'));
    expect(p).toEqual({ rule: 'non-root', line: 6, message: expect.stringContaining('USER <non-root uid>') });
  });
});
