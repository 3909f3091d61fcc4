import { catalog, instanceShapes, nodeRoleKey, topologies, type Workload } from '@hybrid/catalog';
import {
  AlbIngress,
  albBackendAnnotations,
  AlertRules,
  alerts,
  AppProject,
  argoCdValues,
  AwsSecretStore,
  awsLbControllerValues,
  certManagerValues,
  charts,
  databasesOf,
  ebsCsiValues,
  externalSecretsValues,
  FolderApplicationSet,
  GitApplication,
  GrafanaDashboard,
  HelmAddon,
  HttpService,
  kubePrometheusStackValues,
  metricsServerValues,
  PlatformNamespace,
  Postgres,
  PostgresBackup,
  RabbitMq,
  Redis,
  ScheduledJob,
  StoreSecret,
  Worker,
  type CatalogWorkloadProps,
} from '@hybrid/constructs-k8s';
import { App, type Chart } from 'cdk8s';
import type { SynthConfig } from '../config';
import { clientsOf, egressOf, MiB, newFolder, type ClusterBuild } from './common';

const APPS_NS = 'waste-coach';
const DATA_NS = 'data';

/**
 * Node ports of the ALB's backends (instance targets; the cluster stack admits the ALB security
 * group to 30000-32767 on the nodes). Fixed so the committed Services are stable; a new API needs
 * an entry here.
 */
export const albNodePorts: Readonly<Record<string, number>> = {
  auth: 30101,
  my: 30102,
  scan: 30103,
  character: 30104,
  location: 30105,
  info: 30106,
  chat: 30107,
  'argo-cd-argocd-server': 30180,
  'kube-prometheus-stack-grafana': 30181,
};

/**
 * The kubeadm cluster on EC2: the Waste Coach APIs and workers placed by node role, PostgreSQL,
 * Redis and RabbitMQ on the storage role, the ALB ingress, monitoring, backups, and ArgoCD with
 * one ApplicationSet over the committed folders.
 */
export function buildKubeadm(cfg: SynthConfig): ClusterBuild {
  const app = new App();
  const folders = new Map<string, Chart>();
  const c = cfg.kubeadm;
  const registry = cfg.imageRegistry ? { imageRegistry: cfg.imageRegistry } : {};
  const all = catalog.byCluster('kubeadm');
  const served = all.filter((w) => w.kind === 'http' || w.kind === 'worker');
  const data = all.filter((w) => w.kind === 'data');
  const ns = new Map<string, string>([
    ...served.map((w) => [w.name, APPS_NS] as const),
    ...data.map((w) => [w.name, DATA_NS] as const),
  ]);
  const auth = catalog.get('auth');
  const overrides: Record<string, string> = {
    AUTH_JWKS_URL: `http://auth.${APPS_NS}.svc.cluster.local:${auth.port}/.well-known/jwks.json`,
    IMAGES_BUCKET: c.imagesBucket,
  };
  const envFor = (w: Workload) =>
    Object.fromEntries(Object.entries(overrides).filter(([k]) => k in w.env && !w.env[k]!.secret));

  // waste-coach: the APIs, the workers, the ingress.
  const apps = newFolder(app, folders, APPS_NS);
  new PlatformNamespace(apps, 'Namespace', APPS_NS);
  const apis: HttpService[] = [];
  for (const w of served) {
    const common: CatalogWorkloadProps = {
      workload: w,
      namespace: APPS_NS,
      ...registry,
      env: envFor(w),
      secretStore: c.secretStore,
      allowTo: egressOf(w, catalog, ns),
    };
    const clients = clientsOf(w, catalog, ns);
    if (w.kind === 'http') {
      const alb = { peers: [{ cidr: c.vpcCidr }], ports: [w.port!] };
      const nodePort = albNodePorts[w.name];
      if (nodePort === undefined)
        throw new Error(`kubeadm: API "${w.name}" has no ALB node port: add it to albNodePorts`);
      apis.push(
        new HttpService(apps, `Api-${w.name}`, {
          ...common,
          serviceType: 'NodePort',
          nodePort,
          serviceAnnotations: albBackendAnnotations('/health'),
          allowFrom: [alb, ...(clients.length ? [{ peers: clients, ports: [w.port!] }] : [])],
        }),
      );
    } else {
      new Worker(apps, `Worker-${w.name}`, common);
    }
  }
  new AlbIngress(apps, 'Ingress', 'waste-coach-api', {
    namespace: APPS_NS,
    group: 'waste-coach',
    groupOrder: 10,
    host: c.domain,
    ...(c.certificateArn ? { certificateArn: c.certificateArn } : {}),
    ...(c.albSecurityGroupId ? { securityGroupId: c.albSecurityGroupId } : {}),
    routes: apis.map((a) => ({ path: a.route, service: a.name, port: a.port })),
  });
  const rabbit = catalog.get('rabbitmq');
  const sched = catalog.queues.find((q) => q.name === 'q.sched')!;
  // The job publishes through RabbitMQ's management API with its own credentials, from Secrets
  // Manager like the services' (`rabbitmq-auth` lives in the data namespace, out of reach).
  const cleanupAuth = new StoreSecret(apps, 'CleanupUploadsSecrets', 'cleanup-uploads-secrets', {
    namespace: APPS_NS,
    store: c.secretStore,
    remoteKey: `${APPS_NS}/cleanup-uploads`,
    keys: ['username', 'password'],
    labels: { 'app.kubernetes.io/name': 'cleanup-uploads', 'app.kubernetes.io/part-of': 'waste-coach' },
  });
  new ScheduledJob(apps, 'CleanupUploads', 'cleanup-uploads', {
    namespace: APPS_NS,
    partOf: 'waste-coach',
    schedule: '0 * * * *',
    memoryLimit: '64Mi',
    runAsUser: 100,
    container: {
      name: 'enqueue',
      image: 'curlimages/curl:8.15.0',
      command: [
        'sh',
        '-c',
        `curl --fail --silent --show-error -u "$AMQP_USER:$AMQP_PASSWORD" -H 'content-type: application/json' ` +
          `-d '{"properties":{"delivery_mode":2,"content_type":"application/json"},"routing_key":"${sched.routingKey}","payload":"{\\"job\\":\\"cleanup-uploads\\"}","payload_encoding":"string"}' ` +
          `http://${rabbit.name}.${DATA_NS}.svc.cluster.local:15672/api/exchanges/%2F/${sched.exchange}/publish`,
      ],
      env: [
        {
          name: 'AMQP_USER',
          valueFrom: { secretKeyRef: { name: cleanupAuth.secretName, key: 'username' } },
        },
        {
          name: 'AMQP_PASSWORD',
          valueFrom: { secretKeyRef: { name: cleanupAuth.secretName, key: 'password' } },
        },
      ],
    },
    allowTo: [
      {
        peers: [{ namespace: DATA_NS, podLabels: { 'app.kubernetes.io/name': rabbit.name } }],
        ports: [15672],
      },
    ],
  });

  // data: PostgreSQL, Redis, RabbitMQ on the storage role; nightly backups.
  const dataChart = newFolder(app, folders, DATA_NS);
  new PlatformNamespace(dataChart, 'Namespace', DATA_NS);
  const inbound = (
    w: Workload,
    extra: { namespace: string; podLabels: Record<string, string> }[] = [],
    ports: number[] = [w.port!],
  ) => [{ peers: [...clientsOf(w, catalog, ns), ...extra], ports }];
  const pgWorkload = catalog.get('postgres');
  const pg = new Postgres(dataChart, 'Postgres', {
    workload: pgWorkload,
    namespace: DATA_NS,
    storage: '20Gi',
    storageClass: 'gp3',
    ...registry,
    databases: databasesOf(catalog, 'postgres'),
    allowFrom: inbound(pgWorkload, [
      { namespace: DATA_NS, podLabels: { 'app.kubernetes.io/name': 'postgres-backup' } },
    ]),
  });
  new Redis(dataChart, 'Redis', {
    workload: catalog.get('redis'),
    namespace: DATA_NS,
    storage: '5Gi',
    storageClass: 'gp3',
    ...registry,
    allowFrom: inbound(catalog.get('redis')),
  });
  new RabbitMq(dataChart, 'RabbitMq', {
    workload: rabbit,
    namespace: DATA_NS,
    storage: '10Gi',
    storageClass: 'gp3',
    ...registry,
    topology: catalog,
    allowFrom: [
      ...inbound(rabbit),
      {
        peers: [{ namespace: APPS_NS, podLabels: { 'app.kubernetes.io/name': 'cleanup-uploads' } }],
        ports: [15672],
      },
    ],
  });
  new PostgresBackup(dataChart, 'Backup', {
    postgres: pg,
    namespace: DATA_NS,
    partOf: 'waste-coach',
    bucket: c.backupBucket,
    accountSuffix: true,
    region: c.region,
    postgresImage: `${cfg.imageRegistry ? `${cfg.imageRegistry}/` : ''}${pgWorkload.image}:${pgWorkload.imageRef}`,
    nodeRole: 'storage',
  });

  // platform: cluster-wide objects.
  const platform = newFolder(app, folders, 'platform');
  new AwsSecretStore(platform, 'SecretStore', c.secretStore, { region: c.region });

  // monitoring: dashboards, alerts, the /grafana route.
  const monitoring = newFolder(app, folders, 'monitoring');
  new PlatformNamespace(monitoring, 'Namespace', 'monitoring', {
    podSecurity: 'privileged',
    defaultDeny: false,
  });
  new GrafanaDashboard(monitoring, 'ServicesDashboard', 'waste-coach-services', {
    namespace: 'monitoring',
    title: 'Waste Coach services',
    folder: 'Waste Coach',
    panels: [
      {
        title: 'Requests per second by service',
        expr: `sum by (service) (rate(http_request_duration_seconds_count{namespace="${APPS_NS}"}[5m]))`,
        unit: 'reqps',
        legend: '{{service}}',
      },
      {
        title: '5xx ratio by service',
        expr: `sum by (service) (rate(http_request_duration_seconds_count{namespace="${APPS_NS}",status_code=~"5.."}[5m])) / sum by (service) (rate(http_request_duration_seconds_count{namespace="${APPS_NS}"}[5m]))`,
        unit: 'percentunit',
        legend: '{{service}}',
      },
      {
        title: 'p99 latency by service',
        expr: `histogram_quantile(0.99, sum by (le, service) (rate(http_request_duration_seconds_bucket{namespace="${APPS_NS}"}[5m])))`,
        unit: 's',
        legend: '{{service}}',
      },
      {
        title: 'Queue depth',
        expr: 'sum by (queue) (rabbitmq_queue_messages_ready)',
        unit: 'short',
        legend: '{{queue}}',
      },
      { title: 'Dead letters', expr: 'sum(rabbitmq_queue_messages{queue="q.dlq"})', unit: 'short' },
      {
        title: 'Pod memory by workload',
        expr: `sum by (pod) (container_memory_working_set_bytes{namespace=~"${APPS_NS}|${DATA_NS}",container!=""})`,
        unit: 'bytes',
        legend: '{{pod}}',
      },
    ],
  });
  const workQueues = catalog.queues.filter((q) => q.deadLetter).map((q) => q.name);
  const dlq = catalog.queues.find((q) => !q.deadLetter)!;
  new AlertRules(monitoring, 'Alerts', 'waste-coach-alerts', {
    namespace: 'monitoring',
    groups: [
      {
        name: 'services',
        rules: [alerts.crashLoop(APPS_NS), alerts.errorRate(APPS_NS), alerts.latencyP99(APPS_NS, 1)],
      },
      { name: 'queues', rules: [alerts.queueDepth(workQueues), alerts.deadLetters(dlq.name)] },
      {
        name: 'data',
        rules: [
          alerts.crashLoop(DATA_NS),
          alerts.statefulSetDown(DATA_NS, 'postgres', 'Postgres'),
          alerts.statefulSetDown(DATA_NS, 'redis', 'Redis'),
          alerts.statefulSetDown(DATA_NS, 'rabbitmq', 'RabbitMq'),
        ],
      },
    ],
  });
  const ack = (service: string, chart: string) => ({
    [`ack.policy.hybrid.dev/K8S-ING-001`]: `backend Service ${service} is rendered by the ${chart} Helm application`,
  });
  new AlbIngress(monitoring, 'Ingress', 'grafana', {
    namespace: 'monitoring',
    group: 'waste-coach',
    groupOrder: 30,
    host: c.domain,
    ...(c.certificateArn ? { certificateArn: c.certificateArn } : {}),
    ...(c.albSecurityGroupId ? { securityGroupId: c.albSecurityGroupId } : {}),
    routes: [{ path: '/grafana', service: 'kube-prometheus-stack-grafana', port: 80 }],
    annotations: ack('kube-prometheus-stack-grafana', 'kube-prometheus-stack'),
  });

  // argocd: project, root app, ApplicationSet over the folders, add-ons, the /argocd route.
  const argocd = newFolder(app, folders, 'argocd');
  const helmRepos = [
    charts.argoCd,
    charts.kubePrometheusStack,
    charts.certManager,
    charts.awsLoadBalancerController,
    charts.awsEbsCsiDriver,
    charts.externalSecrets,
    charts.metricsServer,
  ].map((h) => h.repoUrl);
  new AppProject(argocd, 'Project', 'kubeadm', {
    description: 'Everything on the kubeadm cluster',
    repoUrl: cfg.repoUrl,
    helmRepos,
    namespaces: [
      'argocd',
      APPS_NS,
      DATA_NS,
      'monitoring',
      'platform',
      'kube-system',
      'cert-manager',
      'external-secrets',
    ],
  });
  const git = { project: 'kubeadm', repoUrl: cfg.repoUrl, revision: cfg.revision };
  new GitApplication(argocd, 'Root', 'kubeadm-root', {
    ...git,
    path: `${cfg.distPath}/kubeadm/argocd`,
    namespace: 'argocd',
  });
  new FolderApplicationSet(argocd, 'Folders', 'kubeadm-folders', {
    ...git,
    include: `${cfg.distPath}/kubeadm/*`,
    exclude: [`${cfg.distPath}/kubeadm/argocd`],
  });
  new AlbIngress(argocd, 'Ingress', 'argocd', {
    namespace: 'argocd',
    group: 'waste-coach',
    groupOrder: 20,
    host: c.domain,
    ...(c.certificateArn ? { certificateArn: c.certificateArn } : {}),
    ...(c.albSecurityGroupId ? { securityGroupId: c.albSecurityGroupId } : {}),
    routes: [{ path: '/argocd', service: 'argo-cd-argocd-server', port: 80 }],
    annotations: ack('argo-cd-argocd-server', 'argo-cd'),
  });
  const topology = topologies[c.topology];
  // The add-ons go to the infra pool when the topology has one, else anywhere untainted.
  const infra = topology.pools.some((p) => p.role === 'infra') ? ('infra' as const) : undefined;
  const addons = [
    new HelmAddon(argocd, 'ArgoCd', 'argo-cd', {
      chart: charts.argoCd,
      project: 'kubeadm',
      namespace: 'argocd',
      values: argoCdValues({
        domain: c.domain,
        small: false,
        role: infra,
        alb: { nodePort: albNodePorts['argo-cd-argocd-server']!, healthCheckPath: '/healthz' },
      }),
      wave: 0,
    }),
    new HelmAddon(argocd, 'ExternalSecrets', 'external-secrets', {
      chart: charts.externalSecrets,
      project: 'kubeadm',
      namespace: 'external-secrets',
      values: externalSecretsValues(infra),
      wave: 0,
    }),
    new HelmAddon(argocd, 'CertManager', 'cert-manager', {
      chart: charts.certManager,
      project: 'kubeadm',
      namespace: 'cert-manager',
      values: certManagerValues(infra),
      wave: 0,
    }),
    new HelmAddon(argocd, 'AwsLbController', 'aws-load-balancer-controller', {
      chart: charts.awsLoadBalancerController,
      project: 'kubeadm',
      namespace: 'kube-system',
      values: awsLbControllerValues({ clusterName: c.clusterName, region: c.region, role: infra }),
      wave: 0,
    }),
    new HelmAddon(argocd, 'EbsCsi', 'aws-ebs-csi-driver', {
      chart: charts.awsEbsCsiDriver,
      project: 'kubeadm',
      namespace: 'kube-system',
      values: ebsCsiValues({ region: c.region, role: infra }),
      perNode: ['node'],
      wave: 0,
    }),
    // Resource metrics for the HorizontalPodAutoscalers. The kubelets' serving certificates are
    // self-signed (kubeadm without serverTLSBootstrap), hence --kubelet-insecure-tls: see the README.
    new HelmAddon(argocd, 'MetricsServer', 'metrics-server', {
      chart: charts.metricsServer,
      project: 'kubeadm',
      namespace: 'kube-system',
      values: metricsServerValues({ kubeletInsecureTls: true, role: infra }),
      wave: 0,
    }),
    new HelmAddon(argocd, 'Monitoring', 'kube-prometheus-stack', {
      chart: charts.kubePrometheusStack,
      project: 'kubeadm',
      namespace: 'monitoring',
      values: kubePrometheusStackValues({
        domain: c.domain,
        small: false,
        role: infra,
        alb: { nodePort: albNodePorts['kube-prometheus-stack-grafana']!, healthCheckPath: '/api/health' },
      }),
      perNode: ['prometheus-node-exporter'],
      wave: 1,
    }),
  ];

  const pools = topology.pools.map((p) => ({
    name: p.name,
    role: p.role,
    allocatableBytes: p.count * (instanceShapes[p.instanceType]!.memoryMiB - c.nodeReserveMiB) * MiB,
    nodes: p.count,
  }));
  const untainted = topology.pools.find((p) => !p.tainted)?.name ?? 'api';
  return {
    name: 'kubeadm',
    app,
    folders,
    pools,
    addons: addons.map((addon) => ({
      addon: addon as HelmAddon<object>,
      pool: topology.pools.find((p) => infra && p.role === infra)?.name ?? untainted,
    })),
    roleKeyPrefix: nodeRoleKey('api').replace(/api$/, ''),
    poolOfRole: (role) =>
      role ? (topology.pools.find((p) => p.role === role)?.name ?? `(no ${role} pool)`) : untainted,
    namespaces: ns,
  };
}
