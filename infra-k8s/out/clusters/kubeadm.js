"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.buildKubeadm = buildKubeadm;
const catalog_1 = require("@hybrid/catalog");
const constructs_k8s_1 = require("@hybrid/constructs-k8s");
const cdk8s_1 = require("cdk8s");
const common_1 = require("./common");
const APPS_NS = 'waste-coach';
const DATA_NS = 'data';
/**
 * The kubeadm cluster on EC2: the Waste Coach APIs and workers placed by node role, PostgreSQL,
 * Redis and RabbitMQ on the storage role, the ALB ingress, monitoring, backups, and ArgoCD with
 * one ApplicationSet over the committed folders.
 */
function buildKubeadm(cfg) {
    const app = new cdk8s_1.App();
    const folders = new Map();
    const c = cfg.kubeadm;
    const registry = cfg.imageRegistry ? { imageRegistry: cfg.imageRegistry } : {};
    const all = catalog_1.catalog.byCluster('kubeadm');
    const served = all.filter((w) => w.kind === 'http' || w.kind === 'worker');
    const data = all.filter((w) => w.kind === 'data');
    const ns = new Map([...served.map((w) => [w.name, APPS_NS]), ...data.map((w) => [w.name, DATA_NS])]);
    const auth = catalog_1.catalog.get('auth');
    const overrides = {
        AUTH_JWKS_URL: `http://auth.${APPS_NS}.svc.cluster.local:${auth.port}/.well-known/jwks.json`,
    };
    const envFor = (w) => Object.fromEntries(Object.entries(overrides).filter(([k]) => k in w.env && !w.env[k].secret));
    // waste-coach: the APIs, the workers, the ingress.
    const apps = (0, common_1.newFolder)(app, folders, APPS_NS);
    new constructs_k8s_1.PlatformNamespace(apps, 'Namespace', APPS_NS);
    const apis = [];
    for (const w of served) {
        const common = {
            workload: w,
            namespace: APPS_NS,
            ...registry,
            env: envFor(w),
            secretStore: c.secretStore,
            allowTo: (0, common_1.egressOf)(w, catalog_1.catalog, ns),
        };
        const clients = (0, common_1.clientsOf)(w, catalog_1.catalog, ns);
        if (w.kind === 'http') {
            const alb = { peers: [{ cidr: c.vpcCidr }], ports: [w.port] };
            apis.push(new constructs_k8s_1.HttpService(apps, `Api-${w.name}`, { ...common, allowFrom: [alb, ...(clients.length ? [{ peers: clients, ports: [w.port] }] : [])] }));
        }
        else {
            new constructs_k8s_1.Worker(apps, `Worker-${w.name}`, common);
        }
    }
    new constructs_k8s_1.AlbIngress(apps, 'Ingress', 'waste-coach-api', {
        namespace: APPS_NS,
        group: 'waste-coach',
        groupOrder: 10,
        host: c.domain,
        ...(c.certificateArn ? { certificateArn: c.certificateArn } : {}),
        routes: apis.map((a) => ({ path: a.route, service: a.name, port: a.port })),
    });
    const rabbit = catalog_1.catalog.get('rabbitmq');
    const sched = catalog_1.catalog.queues.find((q) => q.name === 'q.sched');
    new constructs_k8s_1.ScheduledJob(apps, 'CleanupUploads', 'cleanup-uploads', {
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
                { name: 'AMQP_USER', valueFrom: { secretKeyRef: { name: `${rabbit.name}-auth`, key: 'username' } } },
                { name: 'AMQP_PASSWORD', valueFrom: { secretKeyRef: { name: `${rabbit.name}-auth`, key: 'password' } } },
            ],
        },
        allowTo: [{ peers: [{ namespace: DATA_NS, podLabels: { 'app.kubernetes.io/name': rabbit.name } }], ports: [15672] }],
    });
    // data: PostgreSQL, Redis, RabbitMQ on the storage role; nightly backups.
    const dataChart = (0, common_1.newFolder)(app, folders, DATA_NS);
    new constructs_k8s_1.PlatformNamespace(dataChart, 'Namespace', DATA_NS);
    const inbound = (w, extra = [], ports = [w.port]) => [
        { peers: [...(0, common_1.clientsOf)(w, catalog_1.catalog, ns), ...extra], ports },
    ];
    const pgWorkload = catalog_1.catalog.get('postgres');
    const pg = new constructs_k8s_1.Postgres(dataChart, 'Postgres', {
        workload: pgWorkload,
        namespace: DATA_NS,
        storage: '20Gi',
        storageClass: 'gp3',
        ...registry,
        databases: (0, constructs_k8s_1.databasesOf)(catalog_1.catalog, 'postgres'),
        allowFrom: inbound(pgWorkload, [{ namespace: DATA_NS, podLabels: { 'app.kubernetes.io/name': 'postgres-backup' } }]),
    });
    new constructs_k8s_1.Redis(dataChart, 'Redis', { workload: catalog_1.catalog.get('redis'), namespace: DATA_NS, storage: '5Gi', storageClass: 'gp3', ...registry, allowFrom: inbound(catalog_1.catalog.get('redis')) });
    new constructs_k8s_1.RabbitMq(dataChart, 'RabbitMq', {
        workload: rabbit,
        namespace: DATA_NS,
        storage: '10Gi',
        storageClass: 'gp3',
        ...registry,
        topology: catalog_1.catalog,
        allowFrom: [
            ...inbound(rabbit),
            { peers: [{ namespace: APPS_NS, podLabels: { 'app.kubernetes.io/name': 'cleanup-uploads' } }], ports: [15672] },
            { peers: [{ namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } }], ports: [15692] },
        ],
    });
    new constructs_k8s_1.PostgresBackup(dataChart, 'Backup', {
        postgres: pg,
        namespace: DATA_NS,
        partOf: 'waste-coach',
        bucket: c.backupBucket,
        postgresImage: `${cfg.imageRegistry ? `${cfg.imageRegistry}/` : ''}${pgWorkload.image}:${pgWorkload.imageRef}`,
        nodeRole: 'storage',
    });
    // platform: cluster-wide objects.
    const platform = (0, common_1.newFolder)(app, folders, 'platform');
    new constructs_k8s_1.AwsSecretStore(platform, 'SecretStore', c.secretStore, { region: c.region });
    // monitoring: dashboards, alerts, the /grafana route.
    const monitoring = (0, common_1.newFolder)(app, folders, 'monitoring');
    new constructs_k8s_1.PlatformNamespace(monitoring, 'Namespace', 'monitoring', { podSecurity: 'privileged', defaultDeny: false });
    new constructs_k8s_1.GrafanaDashboard(monitoring, 'ServicesDashboard', 'waste-coach-services', {
        namespace: 'monitoring',
        title: 'Waste Coach services',
        folder: 'Waste Coach',
        panels: [
            { title: 'Requests per second by service', expr: `sum by (service) (rate(http_request_duration_seconds_count{namespace="${APPS_NS}"}[5m]))`, unit: 'reqps', legend: '{{service}}' },
            {
                title: '5xx ratio by service',
                expr: `sum by (service) (rate(http_request_duration_seconds_count{namespace="${APPS_NS}",status_code=~"5.."}[5m])) / sum by (service) (rate(http_request_duration_seconds_count{namespace="${APPS_NS}"}[5m]))`,
                unit: 'percentunit',
                legend: '{{service}}',
            },
            { title: 'p99 latency by service', expr: `histogram_quantile(0.99, sum by (le, service) (rate(http_request_duration_seconds_bucket{namespace="${APPS_NS}"}[5m])))`, unit: 's', legend: '{{service}}' },
            { title: 'Queue depth', expr: 'sum by (queue) (rabbitmq_detailed_queue_messages_ready)', unit: 'short', legend: '{{queue}}' },
            { title: 'Dead letters', expr: 'sum(rabbitmq_detailed_queue_messages{queue="q.dlq"})', unit: 'short' },
            { title: 'Pod memory by workload', expr: `sum by (pod) (container_memory_working_set_bytes{namespace=~"${APPS_NS}|${DATA_NS}",container!=""})`, unit: 'bytes', legend: '{{pod}}' },
        ],
    });
    const workQueues = catalog_1.catalog.queues.filter((q) => q.deadLetter).map((q) => q.name);
    const dlq = catalog_1.catalog.queues.find((q) => !q.deadLetter);
    new constructs_k8s_1.AlertRules(monitoring, 'Alerts', 'waste-coach-alerts', {
        namespace: 'monitoring',
        groups: [
            { name: 'services', rules: [constructs_k8s_1.alerts.crashLoop(APPS_NS), constructs_k8s_1.alerts.errorRate(APPS_NS), constructs_k8s_1.alerts.latencyP99(APPS_NS, 1)] },
            { name: 'queues', rules: [constructs_k8s_1.alerts.queueDepth(workQueues), constructs_k8s_1.alerts.deadLetters(dlq.name)] },
            {
                name: 'data',
                rules: [constructs_k8s_1.alerts.crashLoop(DATA_NS), constructs_k8s_1.alerts.statefulSetDown(DATA_NS, 'postgres', 'Postgres'), constructs_k8s_1.alerts.statefulSetDown(DATA_NS, 'redis', 'Redis'), constructs_k8s_1.alerts.statefulSetDown(DATA_NS, 'rabbitmq', 'RabbitMq')],
            },
        ],
    });
    const ack = (service, chart) => ({ [`ack.policy.hybrid.dev/K8S-ING-001`]: `backend Service ${service} is rendered by the ${chart} Helm application` });
    new constructs_k8s_1.AlbIngress(monitoring, 'Ingress', 'grafana', {
        namespace: 'monitoring',
        group: 'waste-coach',
        groupOrder: 30,
        host: c.domain,
        ...(c.certificateArn ? { certificateArn: c.certificateArn } : {}),
        routes: [{ path: '/grafana', service: 'kube-prometheus-stack-grafana', port: 80 }],
        annotations: ack('kube-prometheus-stack-grafana', 'kube-prometheus-stack'),
    });
    // argocd: project, root app, ApplicationSet over the folders, add-ons, the /argocd route.
    const argocd = (0, common_1.newFolder)(app, folders, 'argocd');
    const helmRepos = [constructs_k8s_1.charts.argoCd, constructs_k8s_1.charts.kubePrometheusStack, constructs_k8s_1.charts.certManager, constructs_k8s_1.charts.awsLoadBalancerController, constructs_k8s_1.charts.awsEbsCsiDriver, constructs_k8s_1.charts.externalSecrets].map((h) => h.repoUrl);
    new constructs_k8s_1.AppProject(argocd, 'Project', 'kubeadm', {
        description: 'Everything on the kubeadm cluster',
        repoUrl: cfg.repoUrl,
        helmRepos,
        namespaces: ['argocd', APPS_NS, DATA_NS, 'monitoring', 'platform', 'kube-system', 'cert-manager', 'external-secrets'],
    });
    const git = { project: 'kubeadm', repoUrl: cfg.repoUrl, revision: cfg.revision };
    new constructs_k8s_1.GitApplication(argocd, 'Root', 'kubeadm-root', { ...git, path: `${cfg.distPath}/kubeadm/argocd`, namespace: 'argocd' });
    new constructs_k8s_1.FolderApplicationSet(argocd, 'Folders', 'kubeadm-folders', {
        ...git,
        include: `${cfg.distPath}/kubeadm/*`,
        exclude: [`${cfg.distPath}/kubeadm/argocd`],
    });
    new constructs_k8s_1.AlbIngress(argocd, 'Ingress', 'argocd', {
        namespace: 'argocd',
        group: 'waste-coach',
        groupOrder: 20,
        host: c.domain,
        ...(c.certificateArn ? { certificateArn: c.certificateArn } : {}),
        routes: [{ path: '/argocd', service: 'argo-cd-argocd-server', port: 80 }],
        annotations: ack('argo-cd-argocd-server', 'argo-cd'),
    });
    const infra = 'infra';
    const addons = [
        new constructs_k8s_1.HelmAddon(argocd, 'ArgoCd', 'argo-cd', { chart: constructs_k8s_1.charts.argoCd, project: 'kubeadm', namespace: 'argocd', values: (0, constructs_k8s_1.argoCdValues)({ domain: c.domain, small: false, role: infra }), wave: 0 }),
        new constructs_k8s_1.HelmAddon(argocd, 'ExternalSecrets', 'external-secrets', { chart: constructs_k8s_1.charts.externalSecrets, project: 'kubeadm', namespace: 'external-secrets', values: (0, constructs_k8s_1.externalSecretsValues)(infra), wave: 0 }),
        new constructs_k8s_1.HelmAddon(argocd, 'CertManager', 'cert-manager', { chart: constructs_k8s_1.charts.certManager, project: 'kubeadm', namespace: 'cert-manager', values: (0, constructs_k8s_1.certManagerValues)(infra), wave: 0 }),
        new constructs_k8s_1.HelmAddon(argocd, 'AwsLbController', 'aws-load-balancer-controller', {
            chart: constructs_k8s_1.charts.awsLoadBalancerController,
            project: 'kubeadm',
            namespace: 'kube-system',
            values: (0, constructs_k8s_1.awsLbControllerValues)({ clusterName: c.clusterName, region: c.region, role: infra }),
            wave: 0,
        }),
        new constructs_k8s_1.HelmAddon(argocd, 'EbsCsi', 'aws-ebs-csi-driver', { chart: constructs_k8s_1.charts.awsEbsCsiDriver, project: 'kubeadm', namespace: 'kube-system', values: (0, constructs_k8s_1.ebsCsiValues)({ region: c.region, role: infra }), wave: 0 }),
        new constructs_k8s_1.HelmAddon(argocd, 'Monitoring', 'kube-prometheus-stack', {
            chart: constructs_k8s_1.charts.kubePrometheusStack,
            project: 'kubeadm',
            namespace: 'monitoring',
            values: (0, constructs_k8s_1.kubePrometheusStackValues)({ domain: c.domain, small: false, role: infra }),
            wave: 1,
        }),
    ];
    const topology = catalog_1.topologies[c.topology];
    const pools = topology.pools.map((p) => ({
        name: p.name,
        role: p.role,
        allocatableBytes: p.count * (catalog_1.instanceShapes[p.instanceType].memoryMiB - c.nodeReserveMiB) * common_1.MiB,
    }));
    const untainted = topology.pools.find((p) => !p.tainted)?.name ?? 'api';
    return {
        name: 'kubeadm',
        app,
        folders,
        pools,
        addons: addons.map((addon) => ({ addon: addon, pool: topology.pools.find((p) => p.role === infra)?.name ?? untainted })),
        roleKeyPrefix: (0, catalog_1.nodeRoleKey)('api').replace(/api$/, ''),
        poolOfRole: (role) => (role ? (topology.pools.find((p) => p.role === role)?.name ?? `(no ${role} pool)`) : untainted),
        namespaces: ns,
    };
}
//# sourceMappingURL=kubeadm.js.map