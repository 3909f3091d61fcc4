import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export const repoRoot = join(__dirname, '../../../..');

/**
 * A throw-away copy of the repository as it is in the work tree (tracked and new files, ignored
 * ones left out), committed in a fresh git repository so `git status` shows what a command
 * changed, with its dependencies installed from the local pnpm store (the registry only for what it lacks).
 */
export function copyRepo(label: string): { dir: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), `delivery-${label}-`));
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '-z'], {
    cwd: repoRoot,
    encoding: 'utf8',
  })
    .split('\0')
    .filter((f) => f && existsSync(join(repoRoot, f)));
  for (const f of files) {
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    copyFileSync(join(repoRoot, f), join(dir, f));
  }
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@localhost', ...args], {
      cwd: dir,
      stdio: 'pipe',
    });
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'copy');
  const install = spawnSync(
    'pnpm',
    ['install', '--prefer-offline', '--frozen-lockfile', '--reporter=silent'],
    {
      cwd: dir,
      encoding: 'utf8',
    },
  );
  if (install.status !== 0)
    throw new Error(`pnpm install in the copy failed: ${install.stderr || install.stdout}`);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
