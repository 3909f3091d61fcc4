import type { Rule } from '../core';
import type { UnitContext } from '../sources';
import { dropAllCapabilities } from './drop-all-capabilities';
import { hpaTargetExists } from './hpa-target-exists';
import { imagePinned } from './image-pinned';
import { ingressBackendsExist } from './ingress-backends-exist';
import { memoryLimit } from './memory-limit';
import { networkPolicyCoverage } from './network-policy-coverage';
import { noDefaultNamespace } from './no-default-namespace';
import { noHostAccess } from './no-host-access';
import { noPrivilegeEscalation } from './no-privilege-escalation';
import { noSecretValuesInEnv } from './no-secret-values-in-env';
import { noTokenAutomount } from './no-token-automount';
import { pdbForReplicas } from './pdb-for-replicas';
import { probes } from './probes';
import { readOnlyRootFilesystem } from './read-only-root-filesystem';
import { resourceRequests } from './resource-requests';
import { rollingUpdateZeroUnavailable } from './rolling-update-zero-unavailable';
import { runAsNonRoot } from './run-as-non-root';
import { seccompRuntimeDefault } from './seccomp-runtime-default';
import { serviceSelectsPods } from './service-selects-pods';

/** The Kubernetes rule pack (one rule per file in this folder). */
export const kubernetesRules: readonly Rule<UnitContext>[] = [
  runAsNonRoot,
  noPrivilegeEscalation,
  dropAllCapabilities,
  seccompRuntimeDefault,
  readOnlyRootFilesystem,
  noHostAccess,
  resourceRequests,
  memoryLimit,
  imagePinned,
  probes,
  pdbForReplicas,
  networkPolicyCoverage,
  serviceSelectsPods,
  ingressBackendsExist,
  hpaTargetExists,
  noDefaultNamespace,
  noSecretValuesInEnv,
  noTokenAutomount,
  rollingUpdateZeroUnavailable,
];
