import { quickstartCommands } from '../src/readme';

describe('quickstartCommands', () => {
  it('reads the commands of the bash block under "## Quickstart"', () => {
    const readme =
      '# x\n\n## Quickstart\n\nRun:\n\n```bash\n# comment\nbash .ci/setup\n\nbash .ci/test\n```\n\n## Other\n```bash\nrm -rf /\n```\n';
    expect(quickstartCommands(readme)).toEqual(['bash .ci/setup', 'bash .ci/test']);
  });

  it.each([
    ['no heading', '# x\n```bash\nbash .ci/setup\n```\n', /no "## Quickstart" heading/],
    ['no block in the section', '## Quickstart\ntext\n## Next\n```bash\nls\n```\n', /has no ```bash block/],
    ['an unclosed block', '## Quickstart\n```bash\nls\n', /not closed/],
  ])('fails on %s', (_what, readme, error) => {
    expect(() => quickstartCommands(readme)).toThrow(error);
  });
});
