import type { RoomSettings } from '@hybrid/game-protocol';
import { englishWords } from './en';
import { koreanWords } from './ko';

export const builtinWords = { en: englishWords, ko: koreanWords } as const;

/** The words a room draws from: its custom words, plus the built-in list unless customWordsOnly. */
export function wordPool(settings: RoomSettings): readonly string[] {
  const custom = [...new Set(settings.customWords.map((w) => w.trim()).filter(Boolean))];
  if (settings.customWordsOnly) return custom;
  return [...new Set([...custom, ...builtinWords[settings.language]])];
}

/**
 * `n` distinct words from the pool, avoiding recently used ones while enough others remain.
 * `random` is injectable so callers can be deterministic.
 */
export function pickWords(
  pool: readonly string[],
  n: number,
  used: readonly string[],
  random: () => number = Math.random,
): string[] {
  const usedSet = new Set(used);
  let candidates = pool.filter((w) => !usedSet.has(w));
  if (candidates.length < n) candidates = [...pool];
  const out: string[] = [];
  const bag = [...candidates];
  while (out.length < n && bag.length) {
    const i = Math.floor(random() * bag.length);
    out.push(bag.splice(i, 1)[0]!);
  }
  return out;
}
