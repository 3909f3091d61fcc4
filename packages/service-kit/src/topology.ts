import type { Catalog } from '@hybrid/catalog';
import type { ConfirmChannel } from 'amqplib';

/** Name of the retry queue for a queue and one delay step. */
export const retryQueueName = (queue: string, delayMs: number): string => `${queue}.retry.${delayMs}`;

/**
 * Declares the catalog's exchanges and queues (durable): every work queue dead-letters into
 * `x.dlx`, is bound with its routing key and its `bindingKeys` (the events it subscribes to), and
 * each retry step is a TTL queue that dead-letters back into the work queue's exchange and routing
 * key. The RabbitMQ manifest's definitions are built from the same data.
 */
export async function declareTopology(
  ch: ConfirmChannel,
  c: Pick<Catalog, 'queues' | 'exchanges'>,
  prefix = '',
): Promise<void> {
  const n = (name: string) => `${prefix}${name}`;
  for (const e of c.exchanges) await ch.assertExchange(n(e.name), e.type, { durable: true });
  const dlq = c.queues.find((q) => !q.deadLetter);
  for (const q of c.queues) {
    const args =
      q.deadLetter && dlq
        ? { deadLetterExchange: n(dlq.exchange), deadLetterRoutingKey: dlq.routingKey }
        : {};
    await ch.assertQueue(n(q.name), { durable: true, ...args });
    await ch.bindQueue(n(q.name), n(q.exchange), q.routingKey);
    for (const key of q.bindingKeys ?? []) await ch.bindQueue(n(q.name), n(q.exchange), key);
    for (const delay of q.retryDelaysMs) {
      await ch.assertQueue(n(retryQueueName(q.name, delay)), {
        durable: true,
        messageTtl: delay,
        deadLetterExchange: n(q.exchange),
        deadLetterRoutingKey: q.routingKey,
      });
    }
  }
}
