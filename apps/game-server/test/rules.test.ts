import { DEFAULT_SETTINGS, LIMITS, maskWord } from '@hybrid/game-protocol';
import { drawerPoints, guesserPoints, hintBudget } from '../src/game';
import { builtinWords, pickWords, wordPool } from '../src/words';

describe('scoring', () => {
  it('gives a guesser 300 points for an instant guess down to 50 at the last moment', () => {
    expect(guesserPoints(1)).toBe(300);
    expect(guesserPoints(0.5)).toBe(175);
    expect(guesserPoints(0)).toBe(50);
    expect(guesserPoints(-3)).toBe(50);
    expect(guesserPoints(7)).toBe(300);
  });

  it('gives the drawer a share of up to 200 by how many guessed and how fast', () => {
    expect(drawerPoints(3, [])).toBe(0);
    expect(drawerPoints(0, [])).toBe(0);
    expect(drawerPoints(2, [1, 1])).toBe(200);
    expect(drawerPoints(2, [0, 0])).toBe(50);
    expect(drawerPoints(4, [1, 1])).toBe(100);
    expect(drawerPoints(3, [0.5])).toBe(Math.round((1 / 3) * (50 + 75)));
  });
});

describe('hints', () => {
  it('never reveals more than half of the letters', () => {
    expect(hintBudget('cat', 5)).toBe(1);
    expect(hintBudget('ice cream', 2)).toBe(2);
    expect(hintBudget('ice cream', 5)).toBe(4);
    expect(hintBudget('a', 3)).toBe(0);
    expect(hintBudget('보물 지도', 3)).toBe(2);
    expect(maskWord('ice cream')).toBe('___ _____');
  });
});

describe('word lists', () => {
  it.each(Object.entries(builtinWords))('%s: distinct, drawable lengths, enough to play', (lang, words) => {
    expect(words.length).toBeGreaterThanOrEqual(150);
    expect(new Set(words).size).toBe(words.length);
    for (const w of words) {
      expect(w.trim()).toBe(w);
      expect([...w].length).toBeLessThanOrEqual(LIMITS.customWords.wordMax);
      if (lang === 'ko') expect(w).toMatch(/^[\uac00-\ud7a3 ]+$/);
      else expect(w).toMatch(/^[a-z ]+$/);
    }
  });

  it('uses custom words alone or with the built-in list, and avoids repeats while it can', () => {
    const custom = { ...DEFAULT_SETTINGS, customWords: [' alpha ', 'beta', 'beta'], customWordsOnly: true };
    expect(wordPool(custom)).toEqual(['alpha', 'beta']);
    expect(wordPool({ ...custom, customWordsOnly: false })).toHaveLength(2 + builtinWords.en.length);
    expect(wordPool({ ...DEFAULT_SETTINGS, language: 'ko' })).toEqual(builtinWords.ko);
    const pool = ['a', 'b', 'c', 'd'];
    for (let i = 0; i < 20; i++) {
      const words = pickWords(pool, 2, ['a', 'b']);
      expect(words.sort()).toEqual(['c', 'd']);
    }
    expect(pickWords(pool, 3, ['a', 'b']).length).toBe(3);
    expect(new Set(pickWords(pool, 4, [])).size).toBe(4);
  });
});
