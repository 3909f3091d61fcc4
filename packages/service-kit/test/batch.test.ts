import { TickBatcher } from '../src';

describe('TickBatcher', () => {
  it('loads the distinct keys asked for in one turn in one call', async () => {
    const calls: number[][] = [];
    const b = new TickBatcher(async (keys: number[]) => {
      calls.push(keys);
      return new Map(keys.filter((k) => k !== 3).map((k) => [k, k * 10]));
    });
    const got = await Promise.all([b.get(1), b.get(2), b.get(1), b.get(3)]);
    expect(got).toEqual([10, 20, 10, undefined]);
    expect(calls).toEqual([[1, 2, 3]]);
    // A later turn is a new batch.
    expect(await b.get(2)).toBe(20);
    expect(calls).toEqual([[1, 2, 3], [2]]);
  });

  it('splits a turn into calls of at most maxBatch keys', async () => {
    const calls: number[][] = [];
    const b = new TickBatcher(async (keys: number[]) => {
      calls.push(keys);
      return new Map(keys.map((k) => [k, k]));
    }, 2);
    expect(await Promise.all([1, 2, 3, 4, 5].map((k) => b.get(k)))).toEqual([1, 2, 3, 4, 5]);
    expect(calls).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('rejects every caller of a failed batch, and only them', async () => {
    let fail = true;
    const b = new TickBatcher(async (keys: string[]) => {
      if (fail) throw new Error('database down');
      return new Map(keys.map((k) => [k, k.toUpperCase()]));
    });
    const results = await Promise.allSettled([b.get('a'), b.get('b')]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    expect((results[0] as PromiseRejectedResult).reason).toEqual(new Error('database down'));
    fail = false;
    expect(await b.get('a')).toBe('A');
  });

  it('turns a loader that throws synchronously into rejections', async () => {
    const b = new TickBatcher<string, string>(() => {
      throw new Error('bad');
    });
    await expect(b.get('x')).rejects.toThrow('bad');
  });

  it('refuses a batch size that is not a positive integer', () => {
    expect(() => new TickBatcher(async () => new Map(), 0)).toThrow(RangeError);
  });
});
