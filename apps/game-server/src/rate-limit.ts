/** A token bucket: `rate` tokens a second, at most `burst` saved up. */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now = Date.now(),
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one token; false when the bucket is empty (the event is refused). */
  take(now = Date.now()): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

export interface RateLimits {
  readonly draw: { readonly rate: number; readonly burst: number };
  readonly chat: { readonly rate: number; readonly burst: number };
  readonly room: { readonly rate: number; readonly burst: number };
}

export type LimitKind = keyof RateLimits;

/** The three buckets of one socket: drawing, chat, and everything else. */
export function socketBuckets(limits: RateLimits): Record<LimitKind, TokenBucket> {
  return {
    draw: new TokenBucket(limits.draw.rate, limits.draw.burst),
    chat: new TokenBucket(limits.chat.rate, limits.chat.burst),
    room: new TokenBucket(limits.room.rate, limits.room.burst),
  };
}
