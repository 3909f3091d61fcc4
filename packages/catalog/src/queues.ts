import type { ExchangeSpec, QueueSpec } from './types';

/** The scan pipeline's RabbitMQ topology. Declared by the services at boot and by the manifest. */
export const exchanges: readonly ExchangeSpec[] = [
  { name: 'x.scan', type: 'direct' },
  { name: 'x.dlx', type: 'direct' },
];

const retries = [1000, 5000, 30000] as const;

export const queues: readonly QueueSpec[] = [
  {
    name: 'q.storage',
    description: 'Uploaded scans waiting for image checks.',
    exchange: 'x.scan',
    routingKey: 'storage',
    maxAttempts: 4,
    retryDelaysMs: retries,
    deadLetter: 'q.dlq',
  },
  {
    name: 'q.ai',
    description: 'Checked scans waiting for classification.',
    exchange: 'x.scan',
    routingKey: 'ai',
    maxAttempts: 4,
    retryDelaysMs: retries,
    deadLetter: 'q.dlq',
  },
  {
    name: 'q.api',
    description: 'Scan results for the scan API (status updates).',
    exchange: 'x.scan',
    routingKey: 'api',
    maxAttempts: 4,
    retryDelaysMs: retries,
    deadLetter: 'q.dlq',
  },
  {
    name: 'q.batch',
    description: 'Completed scans for batch consumers (character XP).',
    exchange: 'x.scan',
    routingKey: 'batch',
    maxAttempts: 4,
    retryDelaysMs: retries,
    deadLetter: 'q.dlq',
  },
  {
    name: 'q.sched',
    description: 'Scheduled maintenance jobs (cleanup of abandoned uploads).',
    exchange: 'x.scan',
    routingKey: 'sched',
    maxAttempts: 3,
    retryDelaysMs: retries,
    deadLetter: 'q.dlq',
  },
  {
    name: 'q.dlq',
    description: 'Dead letters: messages that failed every attempt.',
    exchange: 'x.dlx',
    routingKey: 'dead',
    maxAttempts: 1,
    retryDelaysMs: [],
  },
];
