import type { Catalog, Workload } from '@hybrid/catalog';
import type { HelmAddon, Peer, Pool, Rule } from '@hybrid/constructs-k8s';
import { App, Chart } from 'cdk8s';
/** One cluster: a chart per committed folder (one ArgoCD Application each). */
export interface ClusterBuild {
    readonly name: 'pi' | 'kubeadm';
    readonly app: App;
    readonly folders: Map<string, Chart>;
    readonly pools: readonly Pool[];
    /** Add-ons with the pool their pods land on. */
    readonly addons: readonly {
        readonly addon: HelmAddon<object>;
        readonly pool: string;
    }[];
    /** Node role label prefix, to find pools from node selectors. */
    readonly roleKeyPrefix: string;
    readonly poolOfRole: (role: string | undefined) => string;
    /** Namespace of each deployed catalog workload. */
    readonly namespaces: ReadonlyMap<string, string>;
}
export declare function newFolder(app: App, folders: Map<string, Chart>, name: string): Chart;
/**
 * Where a workload may connect, from its catalog dependencies: its PostgreSQL, Redis and
 * RabbitMQ servers, the services it calls, external HTTPS endpoints, plus extra rules.
 */
export declare function egressOf(w: Workload, catalog: Catalog, ns: ReadonlyMap<string, string>, extra?: readonly Rule[]): Rule[];
/** Who may connect to a workload: the catalog workloads that depend on it. */
export declare function clientsOf(server: Workload, catalog: Catalog, ns: ReadonlyMap<string, string>): Peer[];
export declare const MiB: number;
//# sourceMappingURL=common.d.ts.map