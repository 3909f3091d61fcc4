import type { Workload } from '@hybrid/catalog';

/** The label that selects a workload's pods. */
export const NAME_LABEL = 'app.kubernetes.io/name';

export const selectorLabels = (name: string): Record<string, string> => ({ [NAME_LABEL]: name });

/** Recommended labels for every object of a workload. */
export function workloadLabels(name: string, partOf: string, component?: string): Record<string, string> {
  return {
    [NAME_LABEL]: name,
    'app.kubernetes.io/part-of': partOf,
    'app.kubernetes.io/managed-by': 'cdk8s',
    ...(component ? { 'app.kubernetes.io/component': component } : {}),
  };
}

export const labelsOf = (w: Workload): Record<string, string> => workloadLabels(w.name, w.product, w.kind);
