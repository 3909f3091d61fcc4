/**
 * The commands of the README's quickstart: the first fenced ```bash (or ```sh) block after the
 * heading "## Quickstart", one command per non-empty line, comments dropped. Throws when the
 * heading or the block is missing, so a README that loses its quickstart fails the CI check.
 */
export function quickstartCommands(readme: string): string[] {
  const lines = readme.split(/\r?\n/);
  const start = lines.findIndex((l) => /^##\s+Quickstart\s*$/i.test(l));
  if (start < 0) throw new Error('README has no "## Quickstart" heading');
  let i = start + 1;
  for (; i < lines.length; i++) {
    if (/^#{1,2}\s/.test(lines[i]!)) break; // next section: no block in this one
    if (/^```(bash|sh)\s*$/.test(lines[i]!)) {
      const out: string[] = [];
      for (let j = i + 1; j < lines.length; j++) {
        const l = lines[j]!.trim();
        if (l.startsWith('```')) return out;
        if (l && !l.startsWith('#')) out.push(l);
      }
      throw new Error('README quickstart block is not closed');
    }
  }
  throw new Error('README "## Quickstart" section has no ```bash block');
}
