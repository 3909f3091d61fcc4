import type { EnvContract, EnvSpec, Workload } from '@hybrid/catalog';

export type ConfigValue = string | number | boolean | readonly string[];

export class ConfigError extends Error {
  constructor(readonly problems: readonly { variable: string; message: string }[]) {
    super(`config error: ${problems.map((p) => `${p.variable} ${p.message}`).join('; ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * A workload's configuration, validated against its catalog env contract. Accessors name the
 * expected type, and throw on a name outside the contract (a programming error, not a user's).
 */
export class ServiceConfig {
  constructor(
    readonly contract: EnvContract,
    private readonly values: ReadonlyMap<string, ConfigValue>,
  ) {}

  private read(name: string, type: string): ConfigValue | undefined {
    const spec = this.contract[name];
    if (!spec) throw new Error(`"${name}" is not in this workload's env contract`);
    const family =
      spec.type === 'int' || spec.type === 'number'
        ? 'number'
        : spec.type === 'bool'
          ? 'bool'
          : spec.type === 'list'
            ? 'list'
            : 'string';
    if (family !== type) throw new Error(`"${name}" is a ${spec.type}, not a ${type}`);
    return this.values.get(name);
  }
  /** A string, url or enum value; undefined when optional and unset. */
  optionalString(name: string): string | undefined {
    return this.read(name, 'string') as string | undefined;
  }
  string(name: string): string {
    const v = this.optionalString(name);
    if (v === undefined) throw new Error(`${name} is unset (it has no default and is not required)`);
    return v;
  }
  number(name: string): number {
    const v = this.read(name, 'number') as number | undefined;
    if (v === undefined) throw new Error(`${name} is unset (it has no default and is not required)`);
    return v;
  }
  bool(name: string): boolean {
    return (this.read(name, 'bool') as boolean | undefined) ?? false;
  }
  list(name: string): readonly string[] {
    return (this.read(name, 'list') as readonly string[] | undefined) ?? [];
  }
  /** The names of secret variables, for log redaction. */
  get secretNames(): string[] {
    return Object.entries(this.contract)
      .filter(([, s]) => s.secret)
      .map(([n]) => n);
  }
}

function parseValue(spec: EnvSpec, raw: string): { value?: ConfigValue; error?: string } {
  switch (spec.type) {
    case 'int':
    case 'number': {
      const ok =
        spec.type === 'int' ? /^-?\d+$/.test(raw.trim()) : raw.trim() !== '' && Number.isFinite(Number(raw));
      if (!ok) return { error: `must be ${spec.type === 'int' ? 'an integer' : 'a number'} (got "${raw}")` };
      const n = Number(raw);
      if (spec.min !== undefined && n < spec.min) return { error: `must be at least ${spec.min} (got ${n})` };
      if (spec.max !== undefined && n > spec.max) return { error: `must be at most ${spec.max} (got ${n})` };
      return { value: n };
    }
    case 'bool': {
      const v = raw.trim().toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return { value: true };
      if (['0', 'false', 'no', 'off', ''].includes(v)) return { value: false };
      return { error: `must be true or false (got "${raw}")` };
    }
    case 'url': {
      try {
        new URL(raw);
        return { value: raw };
      } catch {
        return { error: `must be a URL (got ${spec.secret ? 'a value that is not one' : `"${raw}"`})` };
      }
    }
    case 'enum':
      if (!spec.values?.includes(raw))
        return { error: `must be one of ${spec.values?.join(', ')} (got "${raw}")` };
      return { value: raw };
    case 'list':
      return {
        value: raw
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      };
    case 'string':
      return { value: raw };
  }
}

/** Validates `env` against the contract; throws one ConfigError naming every bad variable. */
export function loadConfig(
  contract: EnvContract | Workload,
  env: NodeJS.ProcessEnv = process.env,
): ServiceConfig {
  const c: EnvContract =
    'env' in contract && 'kind' in contract ? (contract as Workload).env : (contract as EnvContract);
  const problems: { variable: string; message: string }[] = [];
  const values = new Map<string, ConfigValue>();
  for (const [name, spec] of Object.entries(c)) {
    const raw = env[name];
    if (raw === undefined || (raw === '' && spec.required)) {
      if (spec.required) {
        problems.push({ variable: name, message: `is required: ${spec.description}` });
        continue;
      }
      if (spec.default === undefined) continue;
    }
    const source = raw ?? spec.default!;
    const { value, error } = parseValue(spec, source);
    if (error) problems.push({ variable: name, message: error });
    else if (value !== undefined) values.set(name, value);
  }
  if (problems.length) throw new ConfigError(problems);
  return new ServiceConfig(c, values);
}
