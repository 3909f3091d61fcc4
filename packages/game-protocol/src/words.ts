/** Normalizes a guess or a word for comparison: trimmed, case-folded, inner spaces collapsed. */
export function normalizeGuess(s: string): string {
  return s.normalize('NFC').trim().toLocaleLowerCase().replace(/\s+/g, ' ');
}

/** Levenshtein distance, stopping early once it exceeds `max`. */
export function editDistance(a: string, b: string, max = Infinity): number {
  const x = [...a];
  const y = [...b];
  if (Math.abs(x.length - y.length) > max) return max + 1;
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    let best = i;
    for (let j = 1; j <= y.length; j++) {
      const cost = x[i - 1] === y[j - 1] ? 0 : 1;
      const val = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + cost);
      cur.push(val);
      best = Math.min(best, val);
    }
    if (best > max) return max + 1;
    prev = cur;
  }
  return prev[y.length]!;
}

/** A guess is correct when it equals the word (ignoring case and surrounding spaces); close when one edit away. */
export function judgeGuess(guess: string, word: string): { correct: boolean; close: boolean } {
  const g = normalizeGuess(guess);
  const w = normalizeGuess(word);
  if (g === w) return { correct: true, close: false };
  return { correct: false, close: editDistance(g, w, 1) === 1 };
}

/**
 * Whether a hint hides this character (of a word split into code points): everything but spaces and
 * punctuation. Letters and digits, and also symbols and emoji, which a custom word may hold: shown,
 * they would give such a word away.
 */
export const isHidden = (ch: string): boolean => !/^[\s\p{P}]$/u.test(ch);

/** The hint for a word: unrevealed characters as `_`, spaces and punctuation kept, revealed indexes shown. */
export function maskWord(word: string, revealed: ReadonlySet<number> = new Set()): string {
  return [...word].map((ch, i) => (isHidden(ch) && !revealed.has(i) ? '_' : ch)).join('');
}
