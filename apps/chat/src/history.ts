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
/** Set when the user's account is deleted: an answer still in progress then keeps no history. */
const deletedKey = (userId: string) => `deleted:${userId}`;

/**
 * How long the deleted mark lives: longer than any session of the user can go on after the
 * deletion (its access token lives at most 900 s, and an answer at most LLM_TIMEOUT_MS <= 300 s).
 */
export const DELETED_MARK_TTL_SEC = 3600;

/** KEYS[1] = history, KEYS[2] = the deleted mark; ARGV = question, answer, max messages, TTL (s). */
const APPEND_SCRIPT = `
if redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
redis.call('RPUSH', KEYS[1], ARGV[1], ARGV[2])
redis.call('LTRIM', KEYS[1], -tonumber(ARGV[3]), -1)
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
return 1
`;

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

  /**
   * Appends one question and its answer, keeps the newest `maxMessages`, and restarts the TTL;
   * nothing when the user's account was deleted (atomically, in one script).
   */
  async append(userId: string, question: string, answer: string): Promise<void> {
    if (this.opts.maxMessages === 0) return;
    const at = new Date().toISOString();
    await this.redis.eval(
      APPEND_SCRIPT,
      2,
      historyKey(userId),
      deletedKey(userId),
      JSON.stringify({ role: 'user', content: question, at }),
      JSON.stringify({ role: 'assistant', content: answer, at }),
      this.opts.maxMessages,
      this.opts.ttlSec,
    );
  }

  async clear(userId: string): Promise<void> {
    await this.redis.del(historyKey(userId));
  }

  /**
   * The user's account was deleted: removes every key of the user (history, rate-limit window) and
   * marks the user for {@link DELETED_MARK_TTL_SEC} so an answer still in progress keeps nothing.
   * Idempotent.
   */
  async forget(userId: string): Promise<void> {
    const results = await this.redis
      .multi()
      .set(deletedKey(userId), '1', 'EX', DELETED_MARK_TTL_SEC)
      .del(historyKey(userId), rateKey(userId))
      .exec();
    const failed = results?.find(([err]) => err);
    if (!results || failed) throw failed?.[0] ?? new Error('the deletion transaction was discarded');
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
