import type { Catalog } from '@hybrid/catalog';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { checkDataProps, DataStatefulSet, type DataServiceProps } from './data-service';
import { k8s } from './k8s';
import { labelsOf, selectorLabels, workloadLabels } from './labels';
import { AllowPolicy } from './network-policy';
import { restrictedContainer, restrictedPod, writableDirs } from './security';

const MANAGEMENT_PORT = 15672;
const METRICS_PORT = 15692;

/** Name of the retry queue for a queue and one delay step (the service kit uses the same). */
export const retryQueueName = (queue: string, delayMs: number): string => `${queue}.retry.${delayMs}`;

export interface RabbitDefinitions {
  readonly vhosts: { name: string }[];
  readonly exchanges: {
    name: string;
    vhost: string;
    type: string;
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Record<string, unknown>;
  }[];
  readonly queues: {
    name: string;
    vhost: string;
    durable: boolean;
    auto_delete: boolean;
    arguments: Record<string, unknown>;
  }[];
  readonly bindings: {
    source: string;
    vhost: string;
    destination: string;
    destination_type: 'queue';
    routing_key: string;
    arguments: Record<string, unknown>;
  }[];
}

/**
 * RabbitMQ definitions for the catalog's topology: durable exchanges, each work queue
 * dead-lettering into the dead-letter queue's exchange and bound with its routing key and its
 * binding keys, and a TTL retry queue per delay step that dead-letters back to the work queue.
 * Same names, arguments and bindings as the kit's `declareTopology`.
 */
export function rabbitDefinitions(c: Pick<Catalog, 'queues' | 'exchanges'>, vhost = '/'): RabbitDefinitions {
  const dlq = c.queues.find((q) => !q.deadLetter);
  const queues: RabbitDefinitions['queues'] = [];
  const bindings: RabbitDefinitions['bindings'] = [];
  for (const q of c.queues) {
    const args: Record<string, unknown> =
      q.deadLetter && dlq
        ? { 'x-dead-letter-exchange': dlq.exchange, 'x-dead-letter-routing-key': dlq.routingKey }
        : {};
    queues.push({ name: q.name, vhost, durable: true, auto_delete: false, arguments: args });
    for (const key of [q.routingKey, ...(q.bindingKeys ?? [])]) {
      bindings.push({
        source: q.exchange,
        vhost,
        destination: q.name,
        destination_type: 'queue',
        routing_key: key,
        arguments: {},
      });
    }
    for (const delay of q.retryDelaysMs) {
      queues.push({
        name: retryQueueName(q.name, delay),
        vhost,
        durable: true,
        auto_delete: false,
        arguments: {
          'x-message-ttl': delay,
          'x-dead-letter-exchange': q.exchange,
          'x-dead-letter-routing-key': q.routingKey,
        },
      });
    }
  }
  return {
    vhosts: [{ name: vhost }],
    exchanges: c.exchanges.map((e) => ({
      name: e.name,
      vhost,
      type: e.type,
      durable: true,
      auto_delete: false,
      internal: false,
      arguments: {},
    })),
    queues,
    bindings,
  };
}

export interface RabbitMqProps extends DataServiceProps {
  readonly topology: Pick<Catalog, 'queues' | 'exchanges'>;
  /** Image of the job that imports the definitions. @default 'curlimages/curl:8.15.0' */
  readonly curlImage?: string;
  /** Labels that make Prometheus pick up the ServiceMonitor. @default { release: 'kube-prometheus-stack' } */
  readonly monitorLabels?: Readonly<Record<string, string>>;
}

/**
 * RabbitMQ as a StatefulSet, with the catalog's queue definitions imported after every ArgoCD sync
 * by a hook Job through the management API. (Importing at boot would skip creating the admin user
 * from RABBITMQ_DEFAULT_USER; the API import is additive and idempotent.)
 */
export class RabbitMq extends Construct {
  readonly name: string;
  readonly definitions: RabbitDefinitions;
  constructor(scope: Construct, id: string, props: RabbitMqProps) {
    super(scope, id);
    const { problems, image } = checkDataProps('RabbitMq', 'rabbitmq', props);
    if (!props.topology.queues.length)
      problems.add(`RabbitMq "${props.workload.name}": the catalog declares no queues`);
    const names = new Set(props.topology.exchanges.map((e) => e.name));
    for (const q of props.topology.queues)
      if (!names.has(q.exchange))
        problems.add(`RabbitMq: queue "${q.name}" is bound to unknown exchange "${q.exchange}"`);
    problems.throwIfAny('RabbitMq');
    const w = props.workload;
    this.name = w.name;
    this.definitions = rabbitDefinitions(props.topology);
    new k8s.KubeConfigMap(this, 'Config', {
      metadata: { name: `${w.name}-config`, namespace: props.namespace, labels: labelsOf(w) },
      data: {
        'rabbitmq.conf': [
          'loopback_users.guest = true',
          'vm_memory_high_watermark.relative = 0.6',
          'prometheus.return_per_object_metrics = true',
          '',
        ].join('\n'),
        enabled_plugins: '[rabbitmq_management,rabbitmq_prometheus].\n',
        'definitions.json': `${JSON.stringify(this.definitions, null, 2)}\n`,
      },
    });
    const jobName = `${w.name}-definitions`;
    const jobLabels = workloadLabels(jobName, w.product, 'job');
    const withJob: RabbitMqProps = {
      ...props,
      allowFrom: [
        ...(props.allowFrom ?? []),
        { peers: [{ podLabels: selectorLabels(jobName) }], ports: [MANAGEMENT_PORT] },
        {
          peers: [{ namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } }],
          ports: [METRICS_PORT],
        },
      ],
    };
    new DataStatefulSet(this, 'Resource', withJob, image, {
      engine: 'rabbitmq',
      uid: 100,
      dataPath: '/var/lib/rabbitmq',
      writablePaths: ['/tmp'],
      env: [
        { name: 'RABBITMQ_CONFIG_FILES', value: '/etc/rabbitmq/conf.d' },
        { name: 'RABBITMQ_ENABLED_PLUGINS_FILE', value: '/etc/rabbitmq/plugins/enabled_plugins' },
        {
          name: 'RABBITMQ_DEFAULT_USER',
          valueFrom: { secretKeyRef: { name: `${w.name}-auth`, key: 'username' } },
        },
        {
          name: 'RABBITMQ_DEFAULT_PASS',
          valueFrom: { secretKeyRef: { name: `${w.name}-auth`, key: 'password' } },
        },
      ],
      configMounts: [
        { name: 'config', mountPath: '/etc/rabbitmq/conf.d', readOnly: true },
        { name: 'plugins', mountPath: '/etc/rabbitmq/plugins', readOnly: true },
      ],
      configVolumes: [
        {
          name: 'config',
          configMap: {
            name: `${w.name}-config`,
            items: [{ key: 'rabbitmq.conf', path: '10-platform.conf' }],
          },
        },
        {
          name: 'plugins',
          configMap: {
            name: `${w.name}-config`,
            items: [{ key: 'enabled_plugins', path: 'enabled_plugins' }],
          },
        },
      ],
      probe: {
        exec: { command: ['rabbitmq-diagnostics', '-q', 'check_port_connectivity'] },
        timeoutSeconds: 10,
      },
      extraPorts: [
        { name: 'management', port: MANAGEMENT_PORT },
        { name: 'metrics', port: METRICS_PORT },
      ],
    });

    // Per-queue metrics (depth, dead letters) from the rabbitmq_prometheus plugin.
    new ApiObject(this, 'ServiceMonitor', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: {
        name: w.name,
        namespace: props.namespace,
        labels: { ...labelsOf(w), ...(props.monitorLabels ?? { release: 'kube-prometheus-stack' }) },
      },
      spec: {
        selector: { matchLabels: selectorLabels(w.name) },
        endpoints: [{ port: 'metrics', path: '/metrics', interval: '30s' }],
      },
    });

    const api = `http://${w.name}:${MANAGEMENT_PORT}/api`;
    const scratch = writableDirs(['/tmp']);
    new k8s.KubeServiceAccount(this, 'DefinitionsServiceAccount', {
      metadata: { name: jobName, namespace: props.namespace, labels: jobLabels },
      automountServiceAccountToken: false,
    });
    new k8s.KubeJob(this, 'Definitions', {
      metadata: {
        name: jobName,
        namespace: props.namespace,
        labels: jobLabels,
        annotations: {
          'argocd.argoproj.io/hook': 'PostSync',
          'argocd.argoproj.io/hook-delete-policy': 'BeforeHookCreation',
        },
      },
      spec: {
        backoffLimit: 6,
        activeDeadlineSeconds: 900,
        template: {
          metadata: { labels: jobLabels },
          spec: {
            restartPolicy: 'OnFailure',
            serviceAccountName: jobName,
            automountServiceAccountToken: false,
            securityContext: restrictedPod(100),
            containers: [
              {
                name: 'import',
                image: props.curlImage ?? 'curlimages/curl:8.15.0',
                imagePullPolicy: 'IfNotPresent',
                command: [
                  'sh',
                  '-c',
                  [
                    'set -eu',
                    `until curl -fsS -o /dev/null -u "$RABBITMQ_USER:$RABBITMQ_PASS" ${api}/overview; do sleep 5; done`,
                    `curl -fsS -u "$RABBITMQ_USER:$RABBITMQ_PASS" -H 'content-type: application/json' -X POST --data @/definitions/definitions.json ${api}/definitions`,
                  ].join('\n'),
                ],
                env: [
                  {
                    name: 'RABBITMQ_USER',
                    valueFrom: { secretKeyRef: { name: `${w.name}-auth`, key: 'username' } },
                  },
                  {
                    name: 'RABBITMQ_PASS',
                    valueFrom: { secretKeyRef: { name: `${w.name}-auth`, key: 'password' } },
                  },
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('10m'), memory: k8s.Quantity.fromString('32Mi') },
                  limits: { memory: k8s.Quantity.fromString('64Mi') },
                },
                securityContext: restrictedContainer(),
                volumeMounts: [
                  { name: 'definitions', mountPath: '/definitions', readOnly: true },
                  ...scratch.mounts,
                ],
              },
            ],
            volumes: [
              {
                name: 'definitions',
                configMap: {
                  name: `${w.name}-config`,
                  items: [{ key: 'definitions.json', path: 'definitions.json' }],
                },
              },
              ...scratch.volumes,
            ],
          },
        },
      },
    });
    new AllowPolicy(this, 'DefinitionsNetworkPolicy', jobName, {
      namespace: props.namespace,
      podLabels: selectorLabels(jobName),
      labels: jobLabels,
      ingress: [],
      egress: [{ peers: [{ podLabels: selectorLabels(w.name) }], ports: [MANAGEMENT_PORT] }],
    });
  }
}
