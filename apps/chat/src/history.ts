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

/** KEYS[1] = the user's window (a sorted set of timestamps); ARGV = now (ms), limit, a unique member. */
const RATE_SCRIPT = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], 0, now - 60000)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + 60000 - now)
end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], 61000)
return 0
`;

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
   * Sliding 60-second window per user, shared by every replica and connection, checked and taken
   * atomically in Redis: returns 0 when the question may go ahead (and counts it), else the seconds
   * until it may.
   */
  async takeRateToken(userId: string, now = Date.now()): Promise<number> {
    const waitMs = (await this.redis.eval(
      RATE_SCRIPT,
      1,
      rateKey(userId),
      now,
      this.opts.ratePerMin,
      `${now}:${randomUUID()}`,
    )) as number;
    return waitMs > 0 ? Math.max(1, Math.ceil(waitMs / 1000)) : 0;
  }
}
