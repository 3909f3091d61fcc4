import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '../../..');
const read = <T>(p: string): T => JSON.parse(readFileSync(join(root, p), 'utf8')) as T;
interface Pkg {
  name: string;
  private?: boolean;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

const dirs = [
  ...['packages', 'apps'].flatMap((g) =>
    existsSync(join(root, g)) ? readdirSync(join(root, g)).map((d) => `${g}/${d}`) : [],
  ),
  ...['infra-aws', 'infra-k8s'].filter((d) => existsSync(join(root, d))),
].filter((d) => existsSync(join(root, d, 'package.json')));

const references = new Set(
  read<{ references: { path: string }[] }>('tsconfig.json').references.map((r) => r.path),
);

describe('workspace conventions', () => {
  it('finds the packages', () => {
    expect(dirs).toEqual(
      expect.arrayContaining(['packages/catalog', 'packages/service-kit', 'packages/tools', 'apps/info']),
    );
  });

  it.each(dirs)(
    '%s is a private @hybrid package with the standard scripts, a jest config and a tsconfig reference',
    (dir) => {
      const pkg = read<Pkg>(`${dir}/package.json`);
      expect(pkg.name).toMatch(/^@hybrid\/[a-z0-9-]+$/);
      expect(pkg.private).toBe(true);
      for (const s of ['build', 'test', 'lint', 'typecheck', 'clean'])
        expect([s, pkg.scripts?.[s]]).toEqual([s, expect.any(String)]);
      expect(existsSync(join(root, dir, 'jest.config.cjs'))).toBe(true);
      if (existsSync(join(root, dir, 'tsconfig.json'))) expect(references).toContain(dir);
    },
  );

  it.each(dirs)('%s takes workspace packages by workspace:* and shared versions from the catalog', (dir) => {
    const pkg = read<Pkg>(`${dir}/package.json`);
    for (const [name, range] of Object.entries({ ...pkg.dependencies, ...pkg.devDependencies })) {
      if (name.startsWith('@hybrid/')) expect([name, range]).toEqual([name, 'workspace:*']);
      else expect([name, range]).toEqual([name, 'catalog:']);
    }
  });
});
