import { clientSchemas, editDistance, judgeGuess, maskWord, resolveSettings } from '../src';

describe('payload validation', () => {
  it('accepts a valid stroke and rejects each kind of bad one with a message naming the field', () => {
    expect(
      clientSchemas['draw:stroke']({ points: [[0.1, 0.2]], color: '#ff0000', size: 4, tool: 'pen' }).ok,
    ).toBe(true);
    const bad = [
      [{ points: [], color: '#ff0000', size: 4, tool: 'pen' }, 'points must have at least 1 items'],
      [{ points: [[2, 0]], color: '#ff0000', size: 4, tool: 'pen' }, 'points[0][0] must be at most 1'],
      [{ points: [[0, 0]], color: 'red', size: 4, tool: 'pen' }, 'color has an invalid format'],
      [{ points: [[0, 0]], color: '#ff0000', size: 65, tool: 'pen' }, 'size must be at most 64'],
      [{ points: [[0, 0]], color: '#ff0000', size: 4, tool: 'brush' }, 'tool must be one of pen, eraser'],
      [{ points: [[0, 0]], color: '#ff0000', size: 4, tool: 'pen', extra: 1 }, 'extra is not allowed'],
      [null, 'payload must be an object'],
      [
        { points: Array.from({ length: 257 }, () => [0, 0]), color: '#ff0000', size: 4, tool: 'pen' },
        'points must have at most 256 items',
      ],
    ] as const;
    for (const [input, message] of bad) {
      const r = clientSchemas['draw:stroke'](input);
      expect(r).toEqual({ ok: false, message });
    }
  });

  it('validates room settings ranges and applies defaults', () => {
    expect(clientSchemas['room:create']({ nickname: 'Ann', settings: { rounds: 11 } })).toEqual({
      ok: false,
      message: 'settings.rounds must be at most 10',
    });
    const r = clientSchemas['room:create']({ nickname: '  Ann ', settings: { rounds: 2, language: 'ko' } });
    expect(r).toEqual({ ok: true, value: { nickname: 'Ann', settings: { rounds: 2, language: 'ko' } } });
    expect(resolveSettings({ rounds: 2 })).toMatchObject({
      rounds: 2,
      drawTimeSec: 80,
      wordChoices: 3,
      hints: 2,
      maxPlayers: 8,
      language: 'en',
    });
    expect(clientSchemas['chat:send']({ text: 'x'.repeat(201) }).ok).toBe(false);
    expect(clientSchemas['chat:send']({ text: '   ' }).ok).toBe(false);
  });
});

describe('guess judging', () => {
  it('is correct ignoring case and surrounding spaces, close at one edit', () => {
    expect(judgeGuess('  Apple ', 'apple')).toEqual({ correct: true, close: false });
    expect(judgeGuess('aple', 'apple')).toEqual({ correct: false, close: true });
    expect(judgeGuess('grape', 'apple')).toEqual({ correct: false, close: false });
    expect(judgeGuess('사가', '사과')).toEqual({ correct: false, close: true });
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });
  it('masks letters but keeps spaces', () => {
    expect(maskWord('ice cream')).toBe('___ _____');
    expect(maskWord('ice cream', new Set([0, 4]))).toBe('i__ c____');
  });
});
