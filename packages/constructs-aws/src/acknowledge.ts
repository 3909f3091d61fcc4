import type { TerraformResource } from 'cdktn';

/** Acknowledgement reasons shorter than this are rejected (the policy pack applies the same limit). */
export const MIN_ACK_REASON = 10;

/**
 * Records on a resource that a policy rule's finding is accepted, with the written reason. The
 * policy loader reads `"//": { "policy": { "acknowledgements": { "<RULE-ID>": "<reason>" } } }`.
 */
export function acknowledge(resource: TerraformResource, ruleId: string, reason: string): void {
  if (!/^[A-Z0-9]+(-[A-Z0-9]+)+$/.test(ruleId)) {
    throw new Error(`acknowledge: rule id "${ruleId}" is not a policy rule id (expected e.g. "TF-S3-001")`);
  }
  if (reason.trim().length < MIN_ACK_REASON) {
    throw new Error(
      `acknowledge ${ruleId} on ${resource.node.path}: the reason "${reason}" is too short; write at least ${MIN_ACK_REASON} characters saying why`,
    );
  }
  resource.addOverride(`//.policy.acknowledgements.${ruleId}`, reason.trim());
}
