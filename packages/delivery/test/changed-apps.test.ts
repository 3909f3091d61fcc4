import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { catalog } from '@hybrid/catalog';
import { changedApps } from '../src/changed-apps';

// A small workspace: two services sharing service-kit -> catalog, a worker, and the static web
// client, which bundles game-protocol as a development dependency.
let root: string;
const apps = [
  { name: 'auth', kind: 'http' },
  { name: 'chat', kind: 'http' },
  { name: 'worker-ai', kind: 'worker' },
  { name: 'web', kind: 'static' },
  { name: 'not-written-yet', kind: 'http' },
];

function pkg(
  dir: string,
  name: string,
  deps: Record<string, string> = {},
  devDeps: Record<string, string> = {},
) {
  mkdirSync(join(root, dir), { recursive: true });
  writeFileSync(
    join(root, dir, 'package.json'),
    JSON.stringify({ name, dependencies: deps, devDependencies: devDeps }),
  );
}

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'delivery-changed-'));
  pkg('packages/catalog', '@hybrid/catalog');
  pkg('packages/service-kit', '@hybrid/service-kit', { '@hybrid/catalog': 'workspace:*', fastify: '^5' });
  pkg('packages/game-protocol', '@hybrid/game-protocol');
  pkg('packages/tools', '@hybrid/tools');
  pkg(
    'apps/auth',
    '@hybrid/auth',
    { '@hybrid/service-kit': 'workspace:*' },
    { '@hybrid/tools': 'workspace:*' },
  );
  pkg('apps/chat', '@hybrid/chat', { '@hybrid/service-kit': 'workspace:*' });
  pkg('apps/worker-ai', '@hybrid/worker-ai', { '@hybrid/catalog': 'workspace:*' });
  pkg(
    'apps/web',
    '@hybrid/web',
    {},
    { '@hybrid/game-protocol': 'workspace:*', '@hybrid/tools': 'workspace:*' },
  );
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const names = (files: string[]) => changedApps(root, apps, files).map((b) => `${b.app}:${b.target}`);

describe('changedApps', () => {
  it('rebuilds an app whose own sources changed', () => {
    expect(names(['apps/chat/src/main.ts'])).toEqual(['chat:runtime']);
  });

  it('follows runtime workspace dependencies transitively', () => {
    expect(names(['packages/catalog/src/catalog.ts'])).toEqual([
      'auth:runtime',
      'chat:runtime',
      'worker-ai:runtime',
    ]);
    expect(names(['packages/service-kit/src/app.ts'])).toEqual(['auth:runtime', 'chat:runtime']);
  });

  it('builds the static site from its bundled development dependencies, with the web target', () => {
    expect(names(['packages/game-protocol/src/events.ts'])).toEqual(['web:web']);
  });

  it('ignores test tooling, tests, benchmarks and docs', () => {
    expect(names(['packages/tools/src/test-env.ts'])).toEqual(['web:web']); // bundled dev dependency of the site
    expect(
      names([
        'apps/auth/test/app.test.ts',
        'apps/chat/src/x.test.ts',
        'apps/chat/bench/load.ts',
        'apps/chat/README.md',
      ]),
    ).toEqual([]);
    expect(names(['docs/ci-cd.md', 'infra-k8s/dist/kubeadm/auth/deployment-auth.yaml'])).toEqual([]);
  });

  it('does not rebuild on a bump of the image lock file (the bump commit would loop)', () => {
    expect(names(['packages/catalog/images.lock.json'])).toEqual([]);
  });

  it('rebuilds every app that exists when the recipe or the lock file changes', () => {
    for (const f of ['Dockerfile', 'pnpm-lock.yaml', '.dockerignore']) {
      expect(names([f])).toEqual(['auth:runtime', 'chat:runtime', 'web:web', 'worker-ai:runtime']);
    }
  });

  it('does not match a directory by prefix only', () => {
    expect(names(['apps/auth-admin/src/main.ts', 'apps/authx'])).toEqual([]);
  });
});

describe('changed-apps-cli (the images workflow matrix)', () => {
  const repo = join(__dirname, '../../..');
  const cli = (args: string[], input = '') =>
    spawnSync(
      'pnpm',
      ['exec', 'tsx', '--conditions=development', 'packages/delivery/src/changed-apps-cli.ts', ...args],
      {
        cwd: repo,
        input,
        encoding: 'utf8',
      },
    );

  it('prints every app of the catalog that has sources, with its Dockerfile target, for --all', () => {
    const r = cli(['--all']);
    expect(r.status).toBe(0);
    const { include } = JSON.parse(r.stdout) as { include: { app: string; target: string }[] };
    const expected = catalog.workloads
      .filter((w) => w.kind !== 'data' && existsSync(join(repo, 'apps', w.name, 'package.json')))
      .map((w) => ({ app: w.name, target: w.kind === 'static' ? 'web' : 'runtime' }))
      .sort((a, b) => a.app.localeCompare(b.app));
    expect(include).toEqual(expected);
  }, 60_000);

  it('reads the changed files from stdin with "-": docs alone build nothing', () => {
    const r = cli(['-'], 'docs/ci-cd.md\nREADME.md\n');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('{"include":[]}');
  }, 60_000);
});
