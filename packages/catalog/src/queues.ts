import type { ExchangeSpec, QueueSpec } from './types';

/**
 * Waste Coach's RabbitMQ topology: the scan pipeline and the account events. Declared by the
 * services at boot and by the manifest.
 */
export const exchanges: readonly ExchangeSpec[] = [
  { name: 'x.scan', type: 'direct' },
  { name: 'x.dlx', type: 'direct' },
  // Account events (`account.deleted`), published by auth through its outbox. A topic exchange,
  // not a fanout: each queue subscribes with a binding key, and its retries come back with its own
  // routing key, so a retry of one consumer is not delivered to the others again.
  { name: 'x.account', type: 'topic' },
];

/** Routing key of the event auth publishes on `x.account` when an account is deleted. */
export const ACCOUNT_DELETED = 'account.deleted';

const retries = [1000, 5000, 30000] as const;

/**
 * A deletion must not be given up after a short outage of a store (S3, PostgreSQL, Redis): the
 * same backoff as the pipeline, then every 5 minutes, for about 1 h 45 min before the dead-letter queue.
 */
const deletionRetries = [1000, 5000, 30000, 300000] as const;
const accountQueue = (service: string, what: string): QueueSpec => ({
  name: `q.account.${service}`,
  description: `Account deletions for ${service}: ${what}.`,
  exchange: 'x.account',
  routingKey: `to.${service}`,
  bindingKeys: [ACCOUNT_DELETED],
  maxAttempts: 24,
  retryDelaysMs: deletionRetries,
  deadLetter: 'q.dlq',
});

/** The queues that receive account events, one per consuming service. */
export const accountQueues: readonly QueueSpec[] = [
  accountQueue('my', 'deletes the profile and settings (when auth deleted the account directly)'),
  accountQueue('scan', "deletes the user's scans, their events and every image in S3"),
  accountQueue('character', "deletes the user's XP, level and badges"),
  accountQueue('chat', "deletes the user's conversation history and rate-limit window in Redis"),
];

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
    description: 'Classification results, committed by the scan API (which then announces completion).',
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
  ...accountQueues,
  {
    name: 'q.dlq',
    description: 'Dead letters: messages that failed every attempt.',
    exchange: 'x.dlx',
    routingKey: 'dead',
    maxAttempts: 1,
    retryDelaysMs: [],
  },
];
