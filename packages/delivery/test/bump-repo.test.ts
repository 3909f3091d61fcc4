import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_LOCK_PATH } from '../src/bump-images';
import { diffManifests, snapshotTree } from '../src/manifest-diff';
import { copyRepo } from './helpers/temp-repo';

// `pnpm bump-images` on a throw-away copy of the repository: validation, the lock file, the
// re-synthesized manifests, idempotence and the restore when synth fails.
const DIGEST = `sha256:${'5a'.repeat(32)}`;
let repo: { dir: string; remove(): void };

beforeAll(() => {
  repo = copyRepo('bump');
}, 180_000);
afterAll(() => repo?.remove());

const bump = (...args: string[]) =>
  spawnSync('pnpm', ['--silent', 'bump-images', ...args], { cwd: repo.dir, encoding: 'utf8' });
const status = () => execFileSync('git', ['status', '--porcelain'], { cwd: repo.dir, encoding: 'utf8' });
const lock = () =>
  JSON.parse(readFileSync(join(repo.dir, IMAGE_LOCK_PATH), 'utf8')) as Record<string, string>;
const dist = () => snapshotTree(join(repo.dir, 'infra-k8s/dist'));

describe('pnpm bump-images', () => {
  it('refuses bad input with every reason, exit code 2, and changes nothing', () => {
    const r = bump('auth=latest', 'no-such-app=1.0.0', `chat=sha256:abc`);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('nothing was changed (3 problems)');
    expect(r.stderr).toContain('auth: "latest" is a floating tag');
    expect(r.stderr).toContain('unknown image "no-such-app"');
    expect(r.stderr).toContain('chat: "sha256:abc" is not a digest');
    expect(status()).toBe('');
  }, 60_000);

  it('refuses to run without arguments', () => {
    const r = bump();
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('usage is bump-images <app>=<ref>');
    expect(status()).toBe('');
  }, 60_000);

  it('pins a digest and a tag, re-synthesizes, and only image fields change in the manifests', () => {
    const before = dist();
    const old = lock();
    const r = bump(`auth=${DIGEST}`, 'chat=1.2.3');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`auth ${old.auth} -> ${DIGEST}`);
    expect(lock()).toEqual({ ...old, auth: DIGEST, chat: '1.2.3' });
    const numstat = execFileSync('git', ['diff', '--numstat', '--', IMAGE_LOCK_PATH], {
      cwd: repo.dir,
      encoding: 'utf8',
    });
    expect(numstat.trim()).toBe(`2\t2\t${IMAGE_LOCK_PATH}`);
    // nothing outside the lock file and the synthesized output was touched
    const touched = status()
      .split('\n')
      .filter(Boolean)
      .map((l) => l.slice(3));
    const synthOutput = (f: string) => f.startsWith('infra-k8s/dist/') || f === 'docs/architecture.md';
    expect(touched.filter((f) => f !== IMAGE_LOCK_PATH && !synthOutput(f))).toEqual([]);
    const diff = diffManifests(before, dist());
    expect(diff.otherChanges).toEqual([]);
    if (before.size > 0) {
      // the manifests exist (infra-k8s synthesizes them): the two apps' images moved to the new references
      expect(diff.imageChanges.length).toBeGreaterThan(0);
      for (const c of diff.imageChanges)
        expect(String(c.after)).toMatch(new RegExp(`(@${DIGEST}|:1\\.2\\.3)$`));
    }
  }, 120_000);

  it('changes nothing when run again with the same input', () => {
    const lockText = readFileSync(join(repo.dir, IMAGE_LOCK_PATH), 'utf8');
    const before = dist();
    const st = status();
    const r = bump(`auth=${DIGEST}`, 'chat=1.2.3');
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('nothing changed');
    expect(readFileSync(join(repo.dir, IMAGE_LOCK_PATH), 'utf8')).toBe(lockText);
    expect(dist()).toEqual(before);
    expect(status()).toBe(st);
  }, 120_000);

  it('puts the lock file back when synth fails, and skips synth on --no-synth', () => {
    const pkgPath = join(repo.dir, 'package.json');
    const pkg = readFileSync(pkgPath, 'utf8');
    const lockText = readFileSync(join(repo.dir, IMAGE_LOCK_PATH), 'utf8');
    const broken = JSON.parse(pkg) as { scripts: Record<string, string> };
    broken.scripts.synth = 'node -e "process.exit(3)"';
    writeFileSync(pkgPath, JSON.stringify(broken, null, 2));
    try {
      const r = bump('auth=9.9.9');
      expect(r.status).toBe(1);
      expect(r.stderr).toMatch(
        /pnpm synth failed \(exit code \d+.*\); packages\/catalog\/images\.lock\.json was restored/,
      );
      expect(readFileSync(join(repo.dir, IMAGE_LOCK_PATH), 'utf8')).toBe(lockText);
      // --no-synth writes the lock file only (synth is still broken here, and is not run)
      const n = bump('--no-synth', 'auth=9.9.9');
      expect(n.status).toBe(0);
      expect(lock().auth).toBe('9.9.9');
    } finally {
      writeFileSync(join(repo.dir, IMAGE_LOCK_PATH), lockText);
      writeFileSync(pkgPath, pkg);
    }
  }, 60_000);
});
