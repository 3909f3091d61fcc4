/** Counts work in progress (queue messages, streams) so shutdown can wait for it. */
export class InflightTracker {
  private readonly pending = new Set<Promise<unknown>>();

  get size(): number {
    return this.pending.size;
  }

  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.finally(() => this.pending.delete(settled));
    this.pending.add(settled);
    return work;
  }

  /** Resolves once everything tracked so far has settled, or after `timeoutMs`. Returns true when drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
    const all = Promise.allSettled([...this.pending]).then(() => true as const);
    try {
      return await Promise.race([all, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
