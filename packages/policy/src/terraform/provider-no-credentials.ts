import { compliant, nonCompliant, type Rule } from '../core';
import type { UnitContext } from '../sources';

const CREDENTIAL_KEYS = ['access_key', 'secret_key', 'token'];

export const providerNoCredentials: Rule<UnitContext> = {
  id: 'TF-PROV-001',
  meaning:
    'The AWS provider block carries no credentials (access_key, secret_key, token); they come from the profile or the environment.',
  reason: 'Credentials in the configuration end up in Git, in the synthesized JSON and in CI logs.',
  mirrors: ['checkov CKV_AWS_41', 'Trivy secret rule aws-access-key-id'],
  appliesTo: ['provider.aws'],
  check(r) {
    const found = CREDENTIAL_KEYS.filter((k) => r.body[k] !== undefined);
    return found.length ? nonCompliant(`credentials in the provider block: ${found.join(', ')}`) : compliant;
  },
};
