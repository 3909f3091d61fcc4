/** Kubernetes resource quantities, parsed to numbers (cores for CPU, bytes for memory). */
const BINARY: Record<string, number> = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 };
const DECIMAL: Record<string, number> = { m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12 };

export function parseQuantity(q: string): number {
  const m = /^([0-9]+(?:\.[0-9]+)?)(Ki|Mi|Gi|Ti|m|k|M|G|T)?$/.exec(q.trim());
  if (!m) throw new Error(`"${q}" is not a Kubernetes quantity (e.g. 250m, 1, 128Mi, 2Gi)`);
  const n = Number(m[1]);
  const unit = m[2] ?? '';
  return n * (BINARY[unit] ?? DECIMAL[unit] ?? 1);
}

/** Formats bytes as MiB, for budget tables. */
export const toMiB = (bytes: number): number => Math.round(bytes / 2 ** 20);
