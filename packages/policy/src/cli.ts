/**
 * `pnpm policy`: runs the Terraform pack over every synthesized stack and the Kubernetes pack over
 * every synthesized cluster; exits 1 on any unacknowledged finding (or when there is no output).
 */
import { join, resolve } from 'node:path';
import { formatFindings, runRules, type Finding } from './core';
import { kubernetesRules } from './kubernetes';
import { loadKubernetesClusters, loadTerraformStacks } from './sources';
import { terraformRules } from './terraform';

const root = resolve(process.argv[2] ?? process.cwd());
const stacks = loadTerraformStacks(join(root, 'infra-aws/cdktf.out'));
const clusters = loadKubernetesClusters(join(root, 'infra-k8s/dist'));
if (!stacks.length && !clusters.length) {
  console.error(
    'policy: nothing to check: run `pnpm synth` first (no infra-aws/cdktf.out/stacks, no infra-k8s/dist)',
  );
  process.exit(1);
}
let failed = 0;
let acknowledged = 0;
const report = (kind: string, unit: string, count: number, findings: Finding[]) => {
  const open = findings.filter((f) => !f.acknowledged);
  failed += open.length;
  acknowledged += findings.length - open.length;
  console.log(
    `${kind} ${unit}: ${count} resources, ${open.length} findings, ${findings.length - open.length} acknowledged`,
  );
  if (findings.length) console.log(formatFindings(findings).replace(/^/gm, '  '));
};
for (const s of stacks)
  report('terraform', s.unit, s.resources.length, runRules(terraformRules, s.resources, s));
for (const c of clusters)
  report('kubernetes', c.unit, c.resources.length, runRules(kubernetesRules, c.resources, c));
console.log(
  `policy: ${terraformRules.length} terraform rules, ${kubernetesRules.length} kubernetes rules; ${failed} unacknowledged findings, ${acknowledged} acknowledged`,
);
process.exit(failed ? 1 : 0);
