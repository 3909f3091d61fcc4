import type { SynthConfig } from '../config';
import { type ClusterBuild } from './common';
/**
 * The kubeadm cluster on EC2: the Waste Coach APIs and workers placed by node role, PostgreSQL,
 * Redis and RabbitMQ on the storage role, the ALB ingress, monitoring, backups, and ArgoCD with
 * one ApplicationSet over the committed folders.
 */
export declare function buildKubeadm(cfg: SynthConfig): ClusterBuild;
//# sourceMappingURL=kubeadm.d.ts.map