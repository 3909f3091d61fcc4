import type { Redis } from 'ioredis';

/** Fixed-window counters in Redis (keys under the service's prefix). */
export class RateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly windowSec: number,
  ) {}

  /** Counts one hit; returns the count in the current window and the seconds until it resets. */
  async hit(key: string): Promise<{ count: number; resetSec: number }> {
    const res = await this.redis.multi().incr(key).expire(key, this.windowSec, 'NX').ttl(key).exec();
    const count = Number(res?.[0]?.[1] ?? 0);
    const ttl = Number(res?.[2]?.[1] ?? this.windowSec);
    return { count, resetSec: ttl > 0 ? ttl : this.windowSec };
  }

  async reset(key: string): Promise<void> {
    await this.redis.del(key);
  }
}
