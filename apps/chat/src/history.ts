/** Conversation history and per-user rate limits in Redis (the service's prefixed client). */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface HistoryEntry {
  readonly role: 'user' | 'assistant';
  readonly content: string;
  readonly at: string;
}

const historyKey = (userId: string) => `history:${userId}`;
const rateKey = (userId: string) => `rate:${userId}`;

export class ChatStore {
  constructor(
    private readonly redis: Redis,
    private readonly opts: { ttlSec: number; maxMessages: number; ratePerMin: number },
  ) {}

  /** The user's recent messages, oldest first. */
  async history(userId: string): Promise<HistoryEntry[]> {
    if (this.opts.maxMessages === 0) return [];
    const raw = await this.redis.lrange(historyKey(userId), -this.opts.maxMessages, -1);
    return raw.map((r) => JSON.parse(r) as HistoryEntry);
  }

  /** Appends one question and its answer, keeps the newest `maxMessages`, and restarts the TTL. */
  async append(userId: string, question: string, answer: string): Promise<void> {
    if (this.opts.maxMessages === 0) return;
    const at = new Date().toISOString();
    const key = historyKey(userId);
    await this.redis
      .multi()
      .rpush(
        key,
        JSON.stringify({ role: 'user', content: question, at }),
        JSON.stringify({ role: 'assistant', content: answer, at }),
      )
      .ltrim(key, -this.opts.maxMessages, -1)
      .expire(key, this.opts.ttlSec)
      .exec();
  }

  async clear(userId: string): Promise<void> {
    await this.redis.del(historyKey(userId));
  }

  /**
   * Sliding 60-second window per user, shared by every replica and connection: returns 0 when the
   * question may go ahead (and counts it), else the seconds until it may.
   */
  async takeRateToken(userId: string, now = Date.now()): Promise<number> {
    const key = rateKey(userId);
    const windowStart = now - 60_000;
    const res = await this.redis
      .multi()
      .zremrangebyscore(key, 0, windowStart)
      .zcard(key)
      .zrange(key, 0, 0, 'WITHSCORES')
      .exec();
    const count = Number(res?.[1]?.[1] ?? 0);
    if (count >= this.opts.ratePerMin) {
      const oldest = Number((res?.[2]?.[1] as string[] | undefined)?.[1] ?? now);
      return Math.max(1, Math.ceil((oldest + 60_000 - now) / 1000));
    }
    await this.redis.multi().zadd(key, now, `${now}:${randomUUID()}`).pexpire(key, 61_000).exec();
    return 0;
  }
}
