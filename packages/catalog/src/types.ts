/** The kinds of workload the platform runs. */
export type WorkloadKind = 'http' | 'socket' | 'worker' | 'static' | 'data';
/**
 * Where a workload runs: one of the two Kubernetes clusters, or `aws` for what AWS hosts directly
 * (the web client's S3 site, RDS), which no cluster deploys.
 */
export type Cluster = 'pi' | 'kubeadm' | 'aws';
/** Node roles, used as the `node-role.hybrid.dev/<role>` label and taint. */
export type NodeRole = 'control-plane' | 'api' | 'worker' | 'storage' | 'infra' | 'edge';
export type DataEngine = 'postgres' | 'redis' | 'rabbitmq';

export type EnvType = 'string' | 'int' | 'number' | 'bool' | 'url' | 'enum' | 'list';

/** One environment variable of a workload's contract. */
export interface EnvSpec {
  readonly type: EnvType;
  readonly description: string;
  /** A value used when the variable is unset. A variable with a default is never required. */
  readonly default?: string;
  /** Unset and no default: the process refuses to start. @default false */
  readonly required?: boolean;
  /** Never written into a manifest: deployed from a Secret by reference. @default false */
  readonly secret?: boolean;
  /** For `enum`: the allowed values. */
  readonly values?: readonly string[];
  /** For `int` / `number`: inclusive bounds. */
  readonly min?: number;
  readonly max?: number;
}

export type EnvContract = Readonly<Record<string, EnvSpec>>;

export interface PostgresDependency {
  /** A `data` workload with engine postgres. */
  readonly server: string;
  readonly database: string;
  /** The workload owns (migrates) the database; other workloads may use it with owner: false. @default true */
  readonly owner?: boolean;
  /** The workload can run without it (DATABASE_URL not required). @default false */
  readonly optional?: boolean;
}
export interface RedisDependency {
  readonly server: string;
  /** Logical DB index; allocated deterministically when omitted. */
  readonly db?: number;
  /** Prefix of every key the workload writes. @default `<workload>:` */
  readonly keyPrefix?: string;
  /** The workload can run without it (REDIS_URL not required). @default false */
  readonly optional?: boolean;
}
export interface AmqpDependency {
  readonly server: string;
  readonly consumes?: readonly string[];
  readonly publishes?: readonly string[];
  /**
   * The workload cannot serve without the broker: it does not start until RabbitMQ answers, and
   * `/ready` fails while the connection is down. `false` for workloads whose own work does not go
   * through the broker (an outbox keeps what they publish; their consumers catch up later): they
   * start and stay ready without it, and connect in the background. @default true
   */
  readonly critical?: boolean;
}
export interface Dependencies {
  readonly postgres?: PostgresDependency;
  readonly redis?: RedisDependency;
  readonly amqp?: AmqpDependency;
  /** Other workloads this one calls over HTTP. */
  readonly services?: readonly string[];
}

export interface ResourceSpec {
  readonly requests: { readonly cpu: string; readonly memory: string };
  readonly limits: { readonly cpu?: string; readonly memory: string };
}

/** What a catalog file declares. Missing ports, routes and Redis DB indexes are allocated. */
export interface WorkloadSpec {
  readonly name: string;
  readonly kind: WorkloadKind;
  readonly cluster: Cluster;
  readonly description: string;
  /** Container port. Allocated deterministically for http and socket workloads when omitted. */
  readonly port?: number;
  /** HTTP route prefix. @default `/api/v1/<name>` for http workloads */
  readonly route?: string;
  readonly env?: EnvContract;
  readonly dependencies?: Dependencies;
  readonly resources: ResourceSpec;
  readonly replicas?: { readonly min: number; readonly max: number };
  readonly placement?: { readonly nodeRole: NodeRole };
  /** Image repository without registry host or tag. @default `hybrid/<name>` */
  readonly image?: string;
  /** For data workloads. */
  readonly engine?: DataEngine;
  /** Data workloads outside any cluster (RDS). @default false */
  readonly external?: boolean;
  /** Product the workload belongs to. */
  readonly product: 'drawguess' | 'waste-coach' | 'platform';
  /**
   * Flags for the container's `node` command line (`node <flags> dist/main.js`), for V8 flags that
   * NODE_OPTIONS refuses, such as `--initial-heap-size`. Node workloads only. @default none
   */
  readonly nodeFlags?: readonly string[];
}

export interface ResolvedDependencies extends Omit<Dependencies, 'redis'> {
  readonly redis?: RedisDependency & { readonly db: number; readonly keyPrefix: string };
}

/** A resolved, validated catalog entry: every default applied. */
export interface Workload extends Omit<
  WorkloadSpec,
  'port' | 'route' | 'env' | 'dependencies' | 'replicas' | 'placement' | 'image' | 'nodeFlags'
> {
  readonly nodeFlags: readonly string[];
  readonly port: number | undefined;
  readonly route: string | undefined;
  readonly env: EnvContract;
  readonly dependencies: ResolvedDependencies;
  readonly replicas: { readonly min: number; readonly max: number };
  readonly placement: { readonly nodeRole: NodeRole } | undefined;
  readonly image: string;
  /** Image reference (tag or digest) from images.lock.json. */
  readonly imageRef: string;
  readonly probes: { readonly health: string; readonly ready: string; readonly metrics: string };
}

export interface QueueSpec {
  readonly name: string;
  readonly description: string;
  /**
   * Exchange and routing key that deliver into the queue. The routing key is the queue's own
   * address: its retries come back through it, so on a topic exchange it must reach this queue only.
   */
  readonly exchange: string;
  readonly routingKey: string;
  /**
   * Further binding keys on the same exchange: the events this queue subscribes to (topic patterns
   * on a topic exchange). Several queues may share one, so one published event reaches each of
   * them, while a retry (sent with `routingKey`) reaches only its own queue. @default none
   */
  readonly bindingKeys?: readonly string[];
  /** Dead-letter after this many failed deliveries. */
  readonly maxAttempts: number;
  /** Delays between retries, in milliseconds (a retry queue per step). */
  readonly retryDelaysMs: readonly number[];
  /** Where failures end up. Omitted only for the dead-letter queue itself. */
  readonly deadLetter?: string;
}

export interface ExchangeSpec {
  readonly name: string;
  readonly type: 'direct' | 'topic' | 'fanout';
}
