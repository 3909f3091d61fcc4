import { type TopologyName } from '@hybrid/catalog';
/** Everything a synth needs besides the catalog; environment variables override the defaults. */
export interface SynthConfig {
    /** Registry host (and path) in front of every platform image. @default none (IMAGE_REGISTRY) */
    readonly imageRegistry?: string;
    /** Git repository ArgoCD syncs from. (GITOPS_REPO_URL) */
    readonly repoUrl: string;
    /** Branch ArgoCD follows. (GITOPS_REVISION) */
    readonly revision: string;
    /** Folder of the committed manifests in the repository. */
    readonly distPath: string;
    readonly pi: {
        /** The Pi's RAM. */
        readonly nodeMemoryMiB: number;
        /** Memory kept for the OS, kubelet and containerd. (PI_SYSTEM_RESERVE_MIB) */
        readonly systemReserveMiB: number;
        /** MetalLB addresses on the LAN. */
        readonly lanPool: readonly string[];
        /** The LAN routes the Tailscale router advertises. */
        readonly advertiseRoutes: readonly string[];
        /** The AWS VPC reached through the tunnel (RDS). */
        readonly awsVpcCidr: string;
        /** The web client's origin (CORS). */
        readonly webOrigin: string;
        readonly domain: string;
    };
    readonly kubeadm: {
        readonly topology: TopologyName;
        /** Memory kept per node for the OS, kubelet and containerd. (KUBEADM_NODE_RESERVE_MIB) */
        readonly nodeReserveMiB: number;
        readonly clusterName: string;
        readonly region: string;
        /** The cluster's VPC (ALB targets come from it). */
        readonly vpcCidr: string;
        /** Public host of the ALB. */
        readonly domain: string;
        /** ACM certificate of the ALB listener. @default none: discovered from the host (ACM_CERTIFICATE_ARN) */
        readonly certificateArn?: string;
        readonly backupBucket: string;
        /** Secrets Manager store of the services' secrets. */
        readonly secretStore: string;
    };
}
export declare const defaultConfig: SynthConfig;
/** The default configuration with the environment's overrides; bad values fail with the variable's name. */
export declare function configFromEnv(env?: NodeJS.ProcessEnv, base?: SynthConfig): SynthConfig;
//# sourceMappingURL=config.d.ts.map