/** Thrown once with every problem found, each quoting the bad value and the fix. */
export class ConstructValidationError extends Error {
  constructor(
    readonly construct: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${construct}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConstructValidationError';
  }
}

export function throwIfProblems(construct: string, problems: readonly string[]): void {
  if (problems.length) throw new ConstructValidationError(construct, problems);
}
