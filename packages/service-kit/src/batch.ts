/**
 * Loads keys asked for during one turn of the event loop in a single call (one SQL statement with
 * `= ANY($1)` instead of one round trip per request). Under load, requests that arrive in the same
 * poll phase share the query; a lone request waits only until the end of the current turn.
 */
export class TickBatcher<K, V> {
  private pending = new Map<
    K,
    Array<{ resolve: (v: V | undefined) => void; reject: (e: unknown) => void }>
  >();
  private scheduled = false;

  /**
   * @param load returns the values found for the given (distinct) keys; a key missing from the
   *   map resolves to `undefined`. A rejection rejects every caller of that batch.
   * @param maxBatch at most this many keys per call; more are split across calls.
   */
  constructor(
    private readonly load: (keys: K[]) => Promise<ReadonlyMap<K, V>>,
    private readonly maxBatch = 256,
  ) {
    if (!Number.isInteger(maxBatch) || maxBatch < 1)
      throw new RangeError('maxBatch must be a positive integer');
  }

  get(key: K): Promise<V | undefined> {
    return new Promise((resolve, reject) => {
      const waiters = this.pending.get(key);
      if (waiters) waiters.push({ resolve, reject });
      else this.pending.set(key, [{ resolve, reject }]);
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = new Map();
    const keys = [...batch.keys()];
    for (let i = 0; i < keys.length; i += this.maxBatch) {
      const chunk = keys.slice(i, i + this.maxBatch);
      const settle = (found: ReadonlyMap<K, V> | undefined, err?: unknown) => {
        for (const k of chunk)
          for (const w of batch.get(k)!) {
            if (found) w.resolve(found.get(k));
            else w.reject(err);
          }
      };
      let p: Promise<ReadonlyMap<K, V>>;
      try {
        p = this.load(chunk);
      } catch (err) {
        settle(undefined, err);
        continue;
      }
      p.then(
        (found) => settle(found),
        (err: unknown) => settle(undefined, err),
      );
    }
  }
}
