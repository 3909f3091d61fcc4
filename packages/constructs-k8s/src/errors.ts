/** Every problem of one construct's props, thrown once, each quoting the bad value and the fix. */
export class ConstructValidationError extends Error {
  constructor(
    readonly construct: string,
    readonly problems: readonly string[],
  ) {
    super(
      `${construct}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n  - ${problems.join('\n  - ')}`,
    );
    this.name = 'ConstructValidationError';
  }
}

/** Collects problems; `throwIfAny` throws one error naming all of them. */
export class Problems {
  private readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
  }
  throwIfAny(construct: string): void {
    if (this.list.length) throw new ConstructValidationError(construct, this.list);
  }
}

/** Kubernetes object names: DNS-1123 labels. */
export const isDnsLabel = (s: string): boolean => /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(s);
