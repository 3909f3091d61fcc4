/**
 * Policy core: a rule is a pure function from one resource to a verdict. Packs of rules run over
 * the synthesized output (Terraform JSON per stack, Kubernetes YAML per cluster).
 */

export type Verdict =
  | { readonly status: 'compliant' }
  | { readonly status: 'non-compliant'; readonly message: string }
  | { readonly status: 'not-applicable' };

export const compliant: Verdict = { status: 'compliant' };
export const notApplicable: Verdict = { status: 'not-applicable' };
export const nonCompliant = (message: string): Verdict => ({ status: 'non-compliant', message });

/** A resource as the rules see it, whatever the source. */
export interface PolicyResource {
  /** e.g. `aws_s3_bucket` or `apps/v1/Deployment`. */
  readonly type: string;
  /** Unique address for reports: `edge-dev/aws_s3_bucket.site` or `pi/game/Deployment/game-server`. */
  readonly address: string;
  /** The resource body (Terraform arguments, or the Kubernetes object). */
  readonly body: Readonly<Record<string, unknown>>;
  /** Rule ids acknowledged on the resource, with their written reasons. */
  readonly acknowledgements: Readonly<Record<string, string>>;
}

export interface Rule<C = unknown> {
  /** Stable id, e.g. `TF-S3-001` or `K8S-POD-001`. */
  readonly id: string;
  /** One line: what a compliant resource does. */
  readonly meaning: string;
  /** Why it matters. */
  readonly reason: string;
  /** Ids of the upstream checks it mirrors (checkov, Trivy, cdk-nag, kube-score, Polaris, kube-linter, PSS). */
  readonly mirrors: readonly string[];
  /** Resource types the rule reads; others are not applicable. */
  readonly appliesTo: readonly string[];
  /** Pure: same resource (and context), same verdict. */
  check(resource: PolicyResource, context: C): Verdict;
}

export interface Finding {
  readonly rule: string;
  readonly address: string;
  readonly message: string;
  /** Present when the resource acknowledges the rule. */
  readonly acknowledged?: string;
}

/** Acknowledgement reasons shorter than this are themselves findings. */
export const MIN_ACK_REASON = 10;

export function runRules<C>(
  rules: readonly Rule<C>[],
  resources: readonly PolicyResource[],
  context: C,
): Finding[] {
  const findings: Finding[] = [];
  const ids = new Set(rules.map((r) => r.id));
  for (const res of resources) {
    for (const [id, reason] of Object.entries(res.acknowledgements)) {
      if (!ids.has(id)) continue;
      if (reason.trim().length < MIN_ACK_REASON) {
        findings.push({
          rule: 'POLICY-ACK',
          address: res.address,
          message: `acknowledgement of ${id} needs a written reason of at least ${MIN_ACK_REASON} characters (got "${reason}")`,
        });
      }
    }
    for (const rule of rules) {
      if (!rule.appliesTo.includes(res.type)) continue;
      const v = rule.check(res, context);
      if (v.status !== 'non-compliant') continue;
      const ack = res.acknowledgements[rule.id];
      const ok = ack !== undefined && ack.trim().length >= MIN_ACK_REASON;
      findings.push({
        rule: rule.id,
        address: res.address,
        message: v.message,
        ...(ok ? { acknowledged: ack } : {}),
      });
    }
  }
  return findings;
}

/** Checks a rule pack's own hygiene: unique ids, a meaning, a reason and upstream ids. */
export function validatePack(rules: readonly Rule<never>[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of rules) {
    if (seen.has(r.id)) problems.push(`duplicate rule id ${r.id}`);
    seen.add(r.id);
    if (!r.meaning.trim() || !r.reason.trim()) problems.push(`${r.id}: meaning and reason are required`);
    if (!r.mirrors.length) problems.push(`${r.id}: name the upstream checks it mirrors`);
    if (!r.appliesTo.length) problems.push(`${r.id}: appliesTo is empty`);
  }
  return problems;
}

export function formatFindings(findings: readonly Finding[]): string {
  return findings
    .map(
      (f) =>
        `${f.acknowledged ? 'ACK ' : 'FAIL'} ${f.rule.padEnd(14)} ${f.address}: ${f.message}${f.acknowledged ? ` (acknowledged: ${f.acknowledged})` : ''}`,
    )
    .join('\n');
}
