import { matchesGlob } from 'node:path';

/**
 * A matcher with .dockerignore semantics: `#` comments, the last matching pattern wins (`!`
 * re-includes), and a pattern that matches a directory leaves out everything below it.
 */
export function dockerignoreMatcher(text: string): (path: string) => boolean {
  const patterns = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => (l.startsWith('!') ? { neg: true, glob: l.slice(1) } : { neg: false, glob: l }))
    .map(({ neg, glob }) => ({ neg, glob: glob.replace(/^\.?\//, '').replace(/\/$/, '') }));
  return (path: string) => {
    const parts = path.split('/');
    const prefixes = parts.map((_, i) => parts.slice(0, i + 1).join('/'));
    let ignored = false;
    for (const p of patterns) if (prefixes.some((x) => matchesGlob(x, p.glob))) ignored = !p.neg;
    return ignored;
  };
}
