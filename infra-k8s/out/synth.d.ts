import { type PoolBudget } from '@hybrid/constructs-k8s';
import type { ClusterBuild } from './clusters/common';
import { type SynthConfig } from './config';
type Obj = Record<string, unknown> & {
    apiVersion?: string;
    kind?: string;
    metadata?: {
        name?: string;
        namespace?: string;
    };
};
export interface ClusterOutput {
    readonly name: string;
    /** `<folder>/<kind>-<name>.yaml` → YAML. */
    readonly files: ReadonlyMap<string, string>;
    readonly objects: readonly Obj[];
    readonly budgets: readonly PoolBudget[];
    readonly build: ClusterBuild;
}
export interface SynthResult {
    readonly clusters: readonly ClusterOutput[];
    readonly architecture: string;
}
export declare class SchemaValidationError extends Error {
    readonly errors: readonly {
        object: string;
        message: string;
    }[];
    constructor(errors: readonly {
        object: string;
        message: string;
    }[]);
}
/** Synthesizes one cluster: every object as a file, schema-checked and capacity-checked. */
export declare function synthCluster(build: ClusterBuild): ClusterOutput;
/** Both clusters and the architecture document, in memory. */
export declare function synthAll(cfg?: SynthConfig, repoRoot?: string): SynthResult;
/** Objects per kind and the memory budget as a bar, per pool. */
export declare function summary(out: ClusterOutput): string;
/** Writes dist/<cluster>/** (removing files no longer produced) and docs/architecture.md. */
export declare function writeOutputs(result: SynthResult, distDir: string, docsFile: string): {
    written: number;
    removed: number;
};
/** Differences between a synth result and what is on disk (for the drift test). */
export declare function diffOutputs(result: SynthResult, distDir: string, docsFile: string): string[];
export {};
//# sourceMappingURL=synth.d.ts.map