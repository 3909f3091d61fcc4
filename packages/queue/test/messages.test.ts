import { parseClassified, parseCompleted, parseScanJob, PermanentError } from '../src';

describe('pipeline messages', () => {
  const id = '3f2a8c9e-1b7d-4c2e-9a51-0d6f4e8b7c21';

  it('reads well-formed messages', () => {
    expect(parseScanJob({ scanId: id.toUpperCase() })).toEqual({ scanId: id });
    expect(
      parseCompleted({
        scanId: id,
        userId: 'u1',
        category: 'glass',
        material: '',
        completedAt: '2026-01-02T03:04:05Z',
      }),
    ).toEqual({
      scanId: id,
      userId: 'u1',
      category: 'glass',
      material: null,
      completedAt: '2026-01-02T03:04:05.000Z',
    });
    const result = {
      provider: 'label',
      model: null,
      category: null,
      material: null,
      confidence: null,
      steps: [],
      feedback: 'x',
    };
    expect(parseClassified({ scanId: id, result })).toEqual({ scanId: id, result });
  });

  it('refuses malformed ones as permanent failures (no retry can fix them)', () => {
    const bad: [() => unknown, string][] = [
      [() => parseScanJob(null), 'message must be an object'],
      [() => parseScanJob({ scanId: 'x' }), 'scanId must be a UUID'],
      [() => parseCompleted({ scanId: id, completedAt: '2026-01-01' }), 'userId is required'],
      [() => parseCompleted({ scanId: id, userId: 'u', completedAt: 'soon' }), 'completedAt must be a date'],
      [() => parseClassified({ scanId: id }), 'message must have a result'],
      [
        () => parseClassified({ scanId: id, result: { provider: 'magic', steps: [], feedback: '' } }),
        'unknown provider',
      ],
    ];
    for (const [f, msg] of bad) {
      let err: unknown;
      try {
        f();
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(PermanentError);
      expect((err as Error).message).toBe(msg);
    }
  });
});
