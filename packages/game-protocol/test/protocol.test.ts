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

  it('names the failing place at any depth, counts characters as code points and refuses inherited names', () => {
    const create = clientSchemas['room:create'];
    expect(create({ nickname: 'Ann', settings: { customWords: ['ok', 'x'.repeat(33)] } })).toEqual({
      ok: false,
      message: 'settings.customWords[1] must be at most 32 characters',
    });
    expect(
      clientSchemas['draw:stroke']({ points: [[0, 0], [0.5]], color: '#ff0000', size: 4, tool: 'pen' }),
    ).toEqual({ ok: false, message: 'points[1] must be a pair' });
    expect(create({ settings: {} })).toEqual({ ok: false, message: 'nickname is required' });
    // 24 emoji are 48 UTF-16 units but 24 characters: the nickname limit counts characters.
    expect(create({ nickname: '😀'.repeat(24) }).ok).toBe(true);
    expect(create({ nickname: '😀'.repeat(25) })).toEqual({
      ok: false,
      message: 'nickname must be at most 24 characters',
    });
    // A lone surrogate is one unit, not half of a pair.
    expect(create({ nickname: '\ud83d'.repeat(24) }).ok).toBe(true);
    expect(create({ nickname: '\ud83d'.repeat(25) }).ok).toBe(false);
    for (const key of ['toString', '__proto__', 'constructor'])
      expect(clientSchemas['draw:undo'](JSON.parse(`{"${key}": 1}`))).toEqual({
        ok: false,
        message: `${key} is not allowed`,
      });
    // Random strings of UTF-16 units, surrogates whole and lone among them: the limit counts what
    // `[...s]` counts.
    const units = [0x41, 0x20, 0xac00, 0xd83d, 0xde00, 0xdbff, 0xdc00];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
    for (let i = 0; i < 2000; i++) {
      const s = String.fromCharCode(
        ...Array.from({ length: next() % 40 }, () => units[next() % units.length]!),
      );
      const n = [...s.trim()].length;
      expect(create({ nickname: s }).ok).toBe(n >= 1 && n <= 24);
    }
    // What passes is a copy holding only the schema's keys.
    const input = { points: [[0.1, 0.2]], color: '#ff0000', size: 4, tool: 'pen' };
    const r = clientSchemas['draw:stroke'](input);
    expect(r).toEqual({ ok: true, value: input });
    expect(r.ok && r.value.points[0]).not.toBe(input.points[0]);
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
  it('masks symbols and emoji too, which a custom word may be made of, and keeps punctuation', () => {
    expect(maskWord('🍕')).toBe('_');
    expect(maskWord('C++')).toBe('___');
    expect(maskWord('rock & roll')).toBe('____ & ____');
    expect(maskWord("jack-o'-lantern")).toBe("____-_'-_______");
    expect(maskWord('보물 지도')).toBe('__ __');
  });
  it('refuses a custom word of spaces and punctuation alone, which its hint would show in full', () => {
    const create = (customWords: string[]) =>
      clientSchemas['room:create']({ nickname: 'a', settings: { customWords } });
    expect(create(['?!', 'ok'])).toMatchObject({
      ok: false,
      message: expect.stringContaining('customWords[0]'),
    });
    expect(create(['🍕', 'C++', 'a-b']).ok).toBe(true);
  });
});
