import type { Rule } from '../core';
import type { UnitContext } from '../sources';

/** The Kubernetes rule pack (one rule per file in this folder). */
export const kubernetesRules: readonly Rule<UnitContext>[] = [];
