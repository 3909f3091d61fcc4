import { catalog } from '@hybrid/catalog';
import { AmqpClient, createLogger } from '@hybrid/service-kit';
import { parseAccountDeleted, PermanentError, publishAccountEvent, userImagesPrefix } from '../src';

describe('account events', () => {
  const userId = '3f2a8c9e-1b7d-4c2e-9a51-0d6f4e8b7c21';
  const eventId = '9b1e4c6a-2d3f-4a5b-8c7d-0e1f2a3b4c5d';
  const event = { type: 'account.deleted', eventId, userId, deletedAt: '2026-01-02T03:04:05Z' };

  it('reads an account.deleted event', () => {
    expect(parseAccountDeleted({ ...event, userId: userId.toUpperCase() })).toEqual({
      ...event,
      deletedAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('refuses anything but a UUID user id: consumers delete by it, S3 prefixes included', () => {
    for (const bad of ['', '../', 'u1', `${userId}/x`, 42, null]) {
      expect(() => parseAccountDeleted({ ...event, userId: bad })).toThrow(PermanentError);
    }
    expect(() => parseAccountDeleted({ ...event, type: 'account.created' })).toThrow(/unknown account event/);
    expect(() => parseAccountDeleted({ ...event, eventId: 'x' })).toThrow(/eventId/);
    expect(() => parseAccountDeleted({ ...event, deletedAt: 'yesterday' })).toThrow(/deletedAt/);
    expect(() => parseAccountDeleted([event])).toThrow(/object/);
    // The prefix ends with a slash: one user's prefix never covers another's keys.
    expect(userImagesPrefix(userId)).toBe(`scans/${userId}/`);
  });

  it('publishes only to a topology that has x.account, and only while connected', async () => {
    const amqp = new AmqpClient('amqp://127.0.0.1:1', createLogger('test', 'silent'));
    const e = parseAccountDeleted(event);
    await expect(publishAccountEvent(amqp, { exchanges: [], queues: [] }, '', e)).rejects.toThrow(
      /x.account" is not in the topology/,
    );
    await expect(publishAccountEvent(amqp, catalog, '', e)).rejects.toThrow(/not connected/);
  });
});
