import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { perContainer, podTemplate, POD_TYPES } from './pod';

/** The tag of an image reference, or undefined (no tag, or a digest). */
function pinned(image: string): boolean {
  if (/@sha256:[a-f0-9]{64}$/.test(image)) return true;
  const last = image.split('/').pop() ?? '';
  const tag = last.includes(':') ? last.slice(last.indexOf(':') + 1) : undefined;
  return tag !== undefined && tag !== 'latest' && tag !== '';
}

export const imagePinned: Rule<UnitContext> = {
  id: 'K8S-IMG-001',
  meaning: 'Images are pinned by a version tag or a sha256 digest, never latest or untagged.',
  reason: 'A moving tag deploys code nobody reviewed and makes rollbacks guesswork.',
  mirrors: [
    'kube-score container-image-tag',
    'Polaris tagNotSpecified',
    'kube-linter latest-tag',
    'checkov CKV_K8S_14',
  ],
  appliesTo: [...POD_TYPES],
  check(r) {
    const t = podTemplate(r.body);
    if (!t) return notApplicable;
    const p = perContainer(t.spec, (c) =>
      c.image && pinned(c.image) ? undefined : `image "${c.image ?? ''}" is not pinned`,
    );
    return p ? nonCompliant(p) : compliant;
  },
};
