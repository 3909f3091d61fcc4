import { nodeRoleKey, type NodeRole } from '@hybrid/catalog';
import { albBackendAnnotations } from './alb-ingress';
import type { ComponentResources, HelmChart } from './helm-addon';

/** Upstream charts at pinned versions. Bumping one is a one-line change reviewed in the diff. */
export const charts = {
  argoCd: { repoUrl: 'https://argoproj.github.io/argo-helm', chart: 'argo-cd', version: '8.3.0' },
  kubePrometheusStack: {
    repoUrl: 'https://prometheus-community.github.io/helm-charts',
    chart: 'kube-prometheus-stack',
    version: '77.5.0',
  },
  metallb: { repoUrl: 'https://metallb.github.io/metallb', chart: 'metallb', version: '0.15.2' },
  certManager: { repoUrl: 'https://charts.jetstack.io', chart: 'cert-manager', version: 'v1.18.2' },
  awsLoadBalancerController: {
    repoUrl: 'https://aws.github.io/eks-charts',
    chart: 'aws-load-balancer-controller',
    version: '1.13.4',
  },
  awsEbsCsiDriver: {
    repoUrl: 'https://kubernetes-sigs.github.io/aws-ebs-csi-driver',
    chart: 'aws-ebs-csi-driver',
    version: '2.48.0',
  },
  externalSecrets: {
    repoUrl: 'https://charts.external-secrets.io',
    chart: 'external-secrets',
    version: '0.19.2',
  },
  // 3.13.1 (metrics-server 0.8.1) no longer renders a null APIService annotation that ArgoCD shows as OutOfSync.
  metricsServer: {
    repoUrl: 'https://kubernetes-sigs.github.io/metrics-server/',
    chart: 'metrics-server',
    version: '3.13.1',
  },
} as const satisfies Record<string, HelmChart>;

const res = (cpu: string, memory: string, limit: string): ComponentResources => ({
  requests: { cpu, memory },
  limits: { memory: limit },
});

/** Scheduling onto a node role (label and taint from the catalog). */
export interface Placement {
  readonly nodeSelector?: Record<string, string>;
  readonly tolerations?: { key: string; operator: 'Equal'; value: 'true'; effect: 'NoSchedule' }[];
}
export const onRole = (role: NodeRole | undefined): Placement =>
  role
    ? {
        nodeSelector: { [nodeRoleKey(role)]: 'true' },
        tolerations: [{ key: nodeRoleKey(role), operator: 'Equal', value: 'true', effect: 'NoSchedule' }],
      }
    : {};

interface Component extends Placement {
  readonly resources: ComponentResources;
}

// ---- argo-cd --------------------------------------------------------------------------------
export interface ArgoCdValues {
  readonly global: { readonly domain: string };
  readonly configs: {
    readonly params: {
      readonly 'server.insecure': boolean;
      readonly 'server.basehref': string;
      readonly 'server.rootpath': string;
    };
  };
  readonly controller: Component & { readonly replicas: 1 };
  readonly repoServer: Component & { readonly replicas: number };
  readonly server: Component & {
    readonly replicas: number;
    readonly service?: {
      readonly type: 'NodePort';
      readonly nodePortHttp: number;
      readonly annotations: Record<string, string>;
    };
  };
  readonly redis: Component;
  readonly applicationSet: Component & { readonly replicas: number };
  readonly dex: { readonly enabled: boolean };
  readonly notifications: { readonly enabled: boolean };
}

/** A chart's Service behind an ALB with instance targets: a fixed node port and its health check path. */
export interface AlbBackend {
  readonly nodePort: number;
  readonly healthCheckPath: string;
}

/** ArgoCD served under /argocd; `small` sizes it for the Pi; `alb` makes argocd-server a NodePort backend. */
export function argoCdValues(o: {
  domain: string;
  small: boolean;
  role?: NodeRole | undefined;
  alb?: AlbBackend;
}): ArgoCdValues {
  const p = onRole(o.role);
  return {
    global: { domain: o.domain },
    configs: {
      params: { 'server.insecure': true, 'server.basehref': '/argocd', 'server.rootpath': '/argocd' },
    },
    controller: {
      replicas: 1,
      resources: o.small ? res('100m', '256Mi', '512Mi') : res('250m', '512Mi', '1Gi'),
      ...p,
    },
    repoServer: {
      replicas: 1,
      resources: o.small ? res('50m', '96Mi', '256Mi') : res('100m', '192Mi', '512Mi'),
      ...p,
    },
    server: {
      replicas: 1,
      resources: o.small ? res('25m', '64Mi', '128Mi') : res('50m', '128Mi', '256Mi'),
      ...(o.alb
        ? {
            service: {
              type: 'NodePort' as const,
              nodePortHttp: o.alb.nodePort,
              annotations: albBackendAnnotations(o.alb.healthCheckPath),
            },
          }
        : {}),
      ...p,
    },
    redis: { resources: res('25m', '32Mi', '64Mi'), ...p },
    applicationSet: { replicas: 1, resources: res('25m', '48Mi', '96Mi'), ...p },
    dex: { enabled: false },
    notifications: { enabled: false },
  };
}

// ---- kube-prometheus-stack --------------------------------------------------------------------
export interface KubePrometheusStackValues {
  readonly alertmanager: {
    readonly enabled: boolean;
    readonly alertmanagerSpec: Component & { readonly replicas: number };
  };
  readonly grafana: Component & {
    readonly service?: {
      readonly type: 'NodePort';
      readonly nodePort: number;
      readonly annotations: Record<string, string>;
    };
    readonly 'grafana.ini': {
      readonly server: { readonly root_url: string; readonly serve_from_sub_path: boolean };
    };
    readonly sidecar: {
      readonly dashboards: {
        readonly enabled: true;
        readonly label: string;
        readonly searchNamespace: 'ALL';
      };
      readonly resources: ComponentResources;
    };
  };
  readonly prometheusOperator: Component;
  readonly 'kube-state-metrics': Component;
  readonly 'prometheus-node-exporter': { readonly resources: ComponentResources };
  readonly prometheus: {
    readonly prometheusSpec: Component & {
      readonly replicas: number;
      readonly retention: string;
      readonly serviceMonitorSelectorNilUsesHelmValues: false;
      readonly ruleSelectorNilUsesHelmValues: false;
    };
  };
}

/** Prometheus, Alertmanager, Grafana (dashboards from labelled ConfigMaps), under /grafana; `alb` makes Grafana a NodePort backend. */
export function kubePrometheusStackValues(o: {
  domain: string;
  small: boolean;
  role?: NodeRole | undefined;
  alb?: AlbBackend;
}): KubePrometheusStackValues {
  const p = onRole(o.role);
  return {
    alertmanager: {
      enabled: true,
      alertmanagerSpec: { replicas: 1, resources: res('10m', '32Mi', '64Mi'), ...p },
    },
    grafana: {
      resources: o.small ? res('50m', '96Mi', '192Mi') : res('100m', '192Mi', '384Mi'),
      ...(o.alb
        ? {
            service: {
              type: 'NodePort' as const,
              nodePort: o.alb.nodePort,
              annotations: albBackendAnnotations(o.alb.healthCheckPath),
            },
          }
        : {}),
      'grafana.ini': { server: { root_url: `https://${o.domain}/grafana`, serve_from_sub_path: true } },
      sidecar: {
        dashboards: { enabled: true, label: 'grafana_dashboard', searchNamespace: 'ALL' },
        resources: res('10m', '32Mi', '64Mi'),
      },
      ...p,
    },
    prometheusOperator: { resources: res('25m', '48Mi', '96Mi'), ...p },
    'kube-state-metrics': { resources: res('10m', '32Mi', '64Mi'), ...p },
    'prometheus-node-exporter': { resources: res('10m', '16Mi', '32Mi') },
    prometheus: {
      prometheusSpec: {
        replicas: 1,
        retention: o.small ? '3d' : '15d',
        serviceMonitorSelectorNilUsesHelmValues: false,
        ruleSelectorNilUsesHelmValues: false,
        resources: o.small ? res('100m', '320Mi', '512Mi') : res('250m', '1Gi', '2Gi'),
        ...p,
      },
    },
  };
}

// ---- metallb ------------------------------------------------------------------------------------
export interface MetalLbValues {
  readonly controller: { readonly resources: ComponentResources };
  readonly speaker: { readonly resources: ComponentResources; readonly frr: { readonly enabled: boolean } };
}
export const metalLbValues = (): MetalLbValues => ({
  controller: { resources: res('10m', '32Mi', '64Mi') },
  speaker: { resources: res('10m', '32Mi', '64Mi'), frr: { enabled: false } },
});

// ---- cert-manager ---------------------------------------------------------------------------------
export interface CertManagerValues extends Component {
  readonly crds: { readonly enabled: boolean };
  readonly webhook: Component;
  readonly cainjector: Component;
}
export const certManagerValues = (role?: NodeRole): CertManagerValues => ({
  crds: { enabled: true },
  resources: res('10m', '48Mi', '96Mi'),
  webhook: { resources: res('10m', '24Mi', '48Mi'), ...onRole(role) },
  cainjector: { resources: res('10m', '48Mi', '96Mi'), ...onRole(role) },
  ...onRole(role),
});

// ---- aws-load-balancer-controller ------------------------------------------------------------------
export interface AwsLbControllerValues extends Component {
  readonly clusterName: string;
  readonly region: string;
  readonly replicaCount: number;
}
/** The controller finds the VPC from the instance metadata of the node it runs on. */
export const awsLbControllerValues = (o: {
  clusterName: string;
  region: string;
  role?: NodeRole | undefined;
}): AwsLbControllerValues => ({
  clusterName: o.clusterName,
  region: o.region,
  replicaCount: 2,
  resources: res('50m', '96Mi', '192Mi'),
  ...onRole(o.role),
});

// ---- aws-ebs-csi-driver ---------------------------------------------------------------------------
export interface EbsCsiValues {
  readonly controller: Component & { readonly replicaCount: number; readonly region: string };
  readonly node: { readonly resources: ComponentResources; readonly tolerateAllTaints: boolean };
  readonly storageClasses: readonly {
    readonly name: string;
    readonly annotations: Record<string, string>;
    readonly volumeBindingMode: string;
    readonly parameters: Record<string, string>;
  }[];
}
export const ebsCsiValues = (o: { region: string; role?: NodeRole | undefined }): EbsCsiValues => ({
  controller: {
    replicaCount: 1,
    region: o.region,
    resources: res('10m', '64Mi', '128Mi'),
    ...onRole(o.role),
  },
  node: { resources: res('10m', '32Mi', '64Mi'), tolerateAllTaints: true },
  storageClasses: [
    {
      name: 'gp3',
      annotations: { 'storageclass.kubernetes.io/is-default-class': 'true' },
      volumeBindingMode: 'WaitForFirstConsumer',
      parameters: { type: 'gp3', encrypted: 'true' },
    },
  ],
});

// ---- external-secrets ---------------------------------------------------------------------------
export interface ExternalSecretsValues extends Component {
  readonly installCRDs: boolean;
  readonly webhook: Component;
  readonly certController: Component;
}
export const externalSecretsValues = (role?: NodeRole): ExternalSecretsValues => ({
  installCRDs: true,
  resources: res('10m', '64Mi', '128Mi'),
  webhook: { resources: res('10m', '32Mi', '64Mi'), ...onRole(role) },
  certController: { resources: res('10m', '32Mi', '64Mi'), ...onRole(role) },
  ...onRole(role),
});

// ---- metrics-server -------------------------------------------------------------------------------
export interface MetricsServerValues extends Component {
  readonly replicas: number;
  /** Appended to the chart's defaultArgs (cert dir, InternalIP first, the node status port, 15s resolution). */
  readonly args: readonly string[];
}
/**
 * The resource metrics API (metrics.k8s.io) that HorizontalPodAutoscalers and `kubectl top` read;
 * kubeadm does not install it.
 *
 * `kubeletInsecureTls` is required and has no default: kubeadm's kubelets serve a self-signed
 * certificate unless the KubeletConfiguration sets `serverTLSBootstrap: true` and someone approves
 * their `kubernetes.io/kubelet-serving` CSRs. With `true`, metrics-server does not verify the
 * kubelet's serving certificate (it still authenticates to the kubelet with its service account
 * token, over TLS); a host that can intercept node-to-node traffic could impersonate a kubelet,
 * read that token (it may only read node metrics) and feed false metrics to the autoscalers.
 */
export const metricsServerValues = (o: {
  kubeletInsecureTls: boolean;
  role?: NodeRole | undefined;
}): MetricsServerValues => ({
  replicas: 1,
  args: o.kubeletInsecureTls ? ['--kubelet-insecure-tls'] : [],
  resources: res('50m', '96Mi', '192Mi'),
  ...onRole(o.role),
});
