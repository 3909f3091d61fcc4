import type { SynthConfig } from '../config';
import { type ClusterBuild } from './common';
/**
 * The Raspberry Pi cluster (one 4 GiB ARM64 node): the DrawGuess game server and its Redis,
 * monitoring sized for the node, MetalLB, the Tailscale subnet router, and ArgoCD whose root
 * application syncs the `argocd` folder (every other folder's Application and the add-ons).
 */
export declare function buildPi(cfg: SynthConfig): ClusterBuild;
//# sourceMappingURL=pi.d.ts.map