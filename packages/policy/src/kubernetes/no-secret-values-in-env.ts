import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { containers, podTemplate, POD_TYPES } from './pod';

const SECRET_NAME =
  /(PASSWORD|PASSWD|SECRET|TOKEN|API_?KEY|PRIVATE_KEY|CREDENTIALS?|AUTHKEY|SIGNING_KEYS?)$/i;
const URL_WITH_PASSWORD = /^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i;

export const noSecretValuesInEnv: Rule<UnitContext> = {
  id: 'K8S-SEC-001',
  meaning: 'Secrets reach containers by reference (secretKeyRef), never as a literal env value.',
  reason:
    'A literal value is readable by everyone who can read the manifest, the repository or the pod spec.',
  mirrors: ['kube-linter env-var-secret', 'checkov CKV_K8S_35', 'Trivy KSV-0109'],
  appliesTo: [...POD_TYPES],
  check(r) {
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    const found: string[] = [];
    for (const { c } of containers(t.spec)) {
      for (const e of c.env ?? []) {
        if (e.value === undefined || e.value === '') continue;
        if (SECRET_NAME.test(e.name) || URL_WITH_PASSWORD.test(e.value))
          found.push(`${c.name ?? '?'}: ${e.name}`);
      }
    }
    return found.length ? nonCompliant(`literal secret values in env: ${found.join(', ')}`) : compliant;
  },
};
