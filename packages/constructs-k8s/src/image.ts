import type { Problems } from './errors';

/**
 * `<registry>/<repository>:<tag>` or `<registry>/<repository>@sha256:<digest>`; never `latest`.
 * The registry host comes from the synth configuration (none: the runtime's default registry).
 */
export function imageName(
  repository: string,
  ref: string,
  registry: string | undefined,
  problems: Problems,
  who: string,
): string {
  if (!ref) problems.add(`${who}: no image reference for "${repository}": add it to images.lock.json`);
  else if (ref === 'latest' || /:latest$/.test(ref))
    problems.add(`${who}: image reference "${ref}" is not pinned: use a version tag or a sha256 digest`);
  else if (!/^(sha256:[a-f0-9]{64}|[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.test(ref))
    problems.add(`${who}: image reference "${ref}" is neither a tag nor a sha256 digest`);
  if (registry !== undefined && !/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._-]+)*$/.test(registry)) {
    problems.add(`${who}: image registry "${registry}" is not a host[:port][/path] (e.g. ghcr.io/acme)`);
  }
  const repo = registry ? `${registry}/${repository}` : repository;
  return ref.startsWith('sha256:') ? `${repo}@${ref}` : `${repo}:${ref}`;
}
