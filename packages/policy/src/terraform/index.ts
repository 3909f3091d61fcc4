import type { Rule } from '../core';
import type { UnitContext } from '../sources';

/** The Terraform rule pack (one rule per file in this folder). */
export const terraformRules: readonly Rule<UnitContext>[] = [];
