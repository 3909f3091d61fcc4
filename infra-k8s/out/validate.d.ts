/**
 * Schema validation of every synthesized object: Kubernetes kinds against the OpenAPI schemas of
 * `kubernetes-models`, ArgoCD kinds against `@kubernetes-models/argo-cd`, and the CRDs without a
 * model package (Prometheus operator, MetalLB, External Secrets) structurally.
 */
type Obj = Record<string, unknown> & {
    apiVersion?: string;
    kind?: string;
    metadata?: {
        name?: string;
        namespace?: string;
    };
};
export interface SchemaError {
    readonly object: string;
    readonly message: string;
}
/** Every schema problem of the given objects (empty when all validate). */
export declare function validateObjects(objects: readonly Obj[]): SchemaError[];
export {};
//# sourceMappingURL=validate.d.ts.map