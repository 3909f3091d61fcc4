import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { metaOf } from './pod';

/** Kinds that live in a namespace (the ones this platform writes). */
const NAMESPACED = [
  'v1/Pod',
  'v1/Service',
  'v1/ServiceAccount',
  'v1/ConfigMap',
  'v1/Secret',
  'v1/PersistentVolumeClaim',
  'apps/v1/Deployment',
  'apps/v1/StatefulSet',
  'apps/v1/DaemonSet',
  'batch/v1/Job',
  'batch/v1/CronJob',
  'policy/v1/PodDisruptionBudget',
  'autoscaling/v2/HorizontalPodAutoscaler',
  'networking.k8s.io/v1/NetworkPolicy',
  'networking.k8s.io/v1/Ingress',
  'rbac.authorization.k8s.io/v1/Role',
  'rbac.authorization.k8s.io/v1/RoleBinding',
  'monitoring.coreos.com/v1/ServiceMonitor',
  'monitoring.coreos.com/v1/PrometheusRule',
  'external-secrets.io/v1/ExternalSecret',
  'argoproj.io/v1alpha1/Application',
  'argoproj.io/v1alpha1/ApplicationSet',
  'argoproj.io/v1alpha1/AppProject',
  'metallb.io/v1beta1/IPAddressPool',
  'metallb.io/v1beta1/L2Advertisement',
];

export const noDefaultNamespace: Rule<UnitContext> = {
  id: 'K8S-NS-001',
  meaning: 'Namespaced objects name their namespace, and it is not "default".',
  reason:
    'The default namespace has no policies, quotas or owners; objects without a namespace land wherever kubectl points.',
  mirrors: ['kube-linter use-namespace', 'checkov CKV_K8S_21', 'Polaris (namespace best practice)'],
  appliesTo: NAMESPACED,
  check(r) {
    const { namespace } = metaOf(r);
    if (namespace === undefined) return nonCompliant('metadata.namespace is not set');
    if (namespace === 'default') return nonCompliant('deployed into the default namespace');
    return namespace ? compliant : notApplicable;
  },
};
