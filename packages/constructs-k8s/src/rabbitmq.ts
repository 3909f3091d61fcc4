import type { Catalog } from '@hybrid/catalog';
import { Construct } from 'constructs';
import { checkDataProps, DataStatefulSet, type DataServiceProps } from './data-service';
import { k8s } from './k8s';
import { labelsOf } from './labels';

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
 * dead-lettering into the dead-letter queue's exchange, and a TTL retry queue per delay step that
 * dead-letters back to the work queue. Same names and arguments as the kit's `declareTopology`.
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
    bindings.push({
      source: q.exchange,
      vhost,
      destination: q.name,
      destination_type: 'queue',
      routing_key: q.routingKey,
      arguments: {},
    });
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
}

/** RabbitMQ as a StatefulSet that loads the catalog's queue definitions at boot. */
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
          'definitions.import_backend = local_filesystem',
          'definitions.local.path = /etc/rabbitmq/extra/definitions.json',
          'definitions.skip_if_unchanged = true',
          'loopback_users.guest = true',
          'vm_memory_high_watermark.relative = 0.6',
          'prometheus.return_per_object_metrics = true',
          '',
        ].join('\n'),
        enabled_plugins: '[rabbitmq_management,rabbitmq_prometheus].\n',
        'definitions.json': `${JSON.stringify(this.definitions, null, 2)}\n`,
      },
    });
    new DataStatefulSet(this, 'Resource', props, image, {
      engine: 'rabbitmq',
      uid: 100,
      dataPath: '/var/lib/rabbitmq',
      writablePaths: ['/tmp'],
      env: [
        { name: 'RABBITMQ_CONFIG_FILES', value: '/etc/rabbitmq/conf.d' },
        { name: 'RABBITMQ_ENABLED_PLUGINS_FILE', value: '/etc/rabbitmq/extra/enabled_plugins' },
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
        { name: 'extra', mountPath: '/etc/rabbitmq/extra', readOnly: true },
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
          name: 'extra',
          configMap: {
            name: `${w.name}-config`,
            items: [
              { key: 'enabled_plugins', path: 'enabled_plugins' },
              { key: 'definitions.json', path: 'definitions.json' },
            ],
          },
        },
      ],
      probe: {
        exec: { command: ['rabbitmq-diagnostics', '-q', 'check_port_connectivity'] },
        timeoutSeconds: 10,
      },
      extraPorts: [
        { name: 'management', port: 15672 },
        { name: 'metrics', port: 15692 },
      ],
    });
  }
}
