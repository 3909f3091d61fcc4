import type { ClusterOutput } from './synth';
/** docs/architecture.md, from the catalog and the synthesized clusters (deterministic). */
export declare function renderArchitecture(clusters: readonly ClusterOutput[], repoRoot?: string): string;
//# sourceMappingURL=architecture.d.ts.map