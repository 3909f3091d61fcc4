import type { Workload } from '@hybrid/catalog';
import type { Problems } from './errors';
import type { k8s } from './k8s';

/** Name of the Secret holding a workload's secret variables (see ExternalSecrets). */
export const secretNameOf = (workload: string): string => `${workload}-secrets`;

/**
 * Container env from the catalog's contract: non-secret values inline (override, else default),
 * secret ones by reference to `<workload>-secrets` (key = variable name), never a value.
 */
export function contractEnv(
  w: Workload,
  values: Readonly<Record<string, string>>,
  problems: Problems,
  who: string,
): k8s.EnvVar[] {
  const out: k8s.EnvVar[] = [];
  for (const key of Object.keys(values)) {
    const spec = w.env[key];
    if (!spec)
      problems.add(
        `${who}: env "${key}" is not in the contract of "${w.name}" (known: ${Object.keys(w.env).join(', ')})`,
      );
    else if (spec.secret)
      problems.add(
        `${who}: env "${key}" is secret: it is deployed from Secret "${secretNameOf(w.name)}" by reference; remove the value`,
      );
  }
  for (const [name, spec] of Object.entries(w.env)) {
    if (spec.secret) {
      out.push({
        name,
        valueFrom: {
          secretKeyRef: {
            name: secretNameOf(w.name),
            key: name,
            ...(spec.required ? {} : { optional: true }),
          },
        },
      });
      continue;
    }
    const value = values[name] ?? spec.default;
    if (value === undefined) {
      if (spec.required)
        problems.add(
          `${who}: env "${name}" is required by "${w.name}" and has no default: give it a value in the chart config`,
        );
      continue;
    }
    if (name === 'PORT' && w.port !== undefined && value !== String(w.port)) {
      problems.add(
        `${who}: env PORT "${value}" differs from the catalog port ${w.port}: the probes and Service use the catalog port`,
      );
    }
    if (spec.type === 'enum' && spec.values && !spec.values.includes(value)) {
      problems.add(`${who}: env "${name}" = "${value}" is not one of ${spec.values.join(', ')}`);
    }
    if ((spec.type === 'int' || spec.type === 'number') && value !== '') {
      const n = Number(value);
      if (!Number.isFinite(n) || (spec.type === 'int' && !Number.isInteger(n)))
        problems.add(`${who}: env "${name}" = "${value}" is not a ${spec.type}`);
      else if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
        problems.add(
          `${who}: env "${name}" = ${value} is outside [${spec.min ?? '-inf'}, ${spec.max ?? 'inf'}]`,
        );
      }
    }
    out.push({ name, value });
  }
  return out;
}

/** The secret variables of a workload (what its ExternalSecret must provide). */
export const secretKeys = (w: Workload): string[] =>
  Object.entries(w.env)
    .filter(([, s]) => s.secret)
    .map(([n]) => n);
