import type { WorkloadSpec } from '../types';

/** Waste Coach's PostgreSQL, in the kubeadm cluster on the storage nodes: one database per service. */
export const postgres: WorkloadSpec = {
  name: 'postgres',
  product: 'waste-coach',
  kind: 'data',
  engine: 'postgres',
  cluster: 'kubeadm',
  description: 'PostgreSQL 16 for the Waste Coach services (one database and role per service).',
  port: 5432,
  image: 'postgres',
  resources: { requests: { cpu: '250m', memory: '512Mi' }, limits: { memory: '1Gi' } },
  placement: { nodeRole: 'storage' },
};

/**
 * Base name of the bucket the nightly PostgreSQL backup writes to. Bucket names are global and one
 * set of manifests serves every environment (each in its own AWS account), so the bucket of an
 * account is `<base>-<account id>`: the cluster stack creates it, the backup job derives it.
 */
export const postgresBackupBucketBase = 'waste-coach-backups';

export const redis: WorkloadSpec = {
  name: 'redis',
  product: 'waste-coach',
  kind: 'data',
  engine: 'redis',
  cluster: 'kubeadm',
  description: 'Redis 7 for the Waste Coach services: token denylist, rate limits, chat history.',
  port: 6379,
  image: 'redis',
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
  placement: { nodeRole: 'storage' },
};

export const rabbitmq: WorkloadSpec = {
  name: 'rabbitmq',
  product: 'waste-coach',
  kind: 'data',
  engine: 'rabbitmq',
  cluster: 'kubeadm',
  description: 'RabbitMQ 4 with the scan pipeline queues and dead-lettering.',
  port: 5672,
  image: 'rabbitmq',
  resources: { requests: { cpu: '200m', memory: '384Mi' }, limits: { memory: '768Mi' } },
  placement: { nodeRole: 'storage' },
};

/** DrawGuess's Redis on the Pi: rooms, turn timers and the Socket.IO adapter. */
export const gameRedis: WorkloadSpec = {
  name: 'game-redis',
  product: 'drawguess',
  kind: 'data',
  engine: 'redis',
  cluster: 'pi',
  description: 'Redis 7 on the Pi for DrawGuess rooms, timers and the Socket.IO adapter.',
  port: 6379,
  image: 'redis',
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '192Mi' } },
};

/** RDS PostgreSQL in the edge stack, reached from the Pi through the tunnel. Not deployed by a cluster. */
export const rds: WorkloadSpec = {
  name: 'rds',
  product: 'drawguess',
  kind: 'data',
  engine: 'postgres',
  cluster: 'aws',
  external: true,
  description: 'RDS PostgreSQL 16 (edge stack) holding DrawGuess scores and the leaderboard.',
  port: 5432,
  resources: { requests: { cpu: '0', memory: '0' }, limits: { memory: '0' } },
};

export const dataWorkloads: readonly WorkloadSpec[] = [postgres, redis, rabbitmq, gameRedis, rds];
