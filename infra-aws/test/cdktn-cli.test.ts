import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const infra = resolve(__dirname, '..');

function stacksIn(outdir: string): Record<string, string> {
  const dir = join(outdir, 'stacks');
  return Object.fromEntries(
    readdirSync(dir).map((s) => [s, readFileSync(join(dir, s, 'cdk.tf.json'), 'utf8')]),
  );
}

describe('cdktn CLI', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'infra-aws-cli-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it('`cdktn synth` (cdktf.json) writes the same stacks as the synth script', () => {
    const env: NodeJS.ProcessEnv = { ...process.env, CHECKPOINT_DISABLE: '1' };
    delete env.HYBRID_STATE_BUCKET_DEV;
    delete env.HYBRID_STATE_BUCKET_PROD;
    const viaCli = join(tmp, 'cli');
    const cli = spawnSync(
      process.execPath,
      [join(infra, 'node_modules/cdktn-cli/bundle/bin/cdktn.js'), 'synth', '--output', viaCli],
      { cwd: infra, env, encoding: 'utf8' },
    );
    expect([cli.status, cli.stdout]).toEqual([
      0,
      expect.stringMatching(/Generated Terraform code for the stacks/),
    ]);
    const viaScript = join(tmp, 'script');
    const script = spawnSync(
      process.execPath,
      ['--conditions=development', '--require', 'tsx/cjs', 'src/main.ts'],
      {
        cwd: infra,
        env: { ...env, CDKTF_OUTDIR: viaScript },
        encoding: 'utf8',
      },
    );
    expect(script.status).toBe(0);
    const a = stacksIn(viaCli);
    expect(Object.keys(a).sort()).toEqual([
      'cluster-dev',
      'cluster-prod',
      'edge-dev',
      'edge-prod',
      'state-dev',
      'state-prod',
    ]);
    expect(a).toEqual(stacksIn(viaScript));
  }, 120_000);
});
