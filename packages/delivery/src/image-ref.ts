/**
 * Image references as the catalog's lock file holds them: either a tag (`1.2.3`, `0.4.0-rc.1`)
 * or a content digest (`sha256:` and 64 lowercase hex digits). `latest` is refused: a floating
 * tag makes the committed manifests say nothing about what runs.
 */
export type ImageRef =
  { readonly kind: 'tag'; readonly value: string } | { readonly kind: 'digest'; readonly value: string };

const DIGEST = /^sha256:[0-9a-f]{64}$/;
// The Docker distribution grammar for a tag: a word character first, then up to 127 of [\w.-].
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

/** Returns the parsed reference, or a sentence saying what is wrong with it and what to write instead. */
export function parseImageRef(ref: string): ImageRef | { readonly error: string } {
  if (ref.length === 0)
    return { error: 'the reference is empty (write a tag like 1.2.3 or a digest sha256:<64 hex>)' };
  if (ref.startsWith('sha256:') || ref.includes('@')) {
    if (DIGEST.test(ref)) return { kind: 'digest', value: ref };
    return { error: `"${ref}" is not a digest: write sha256: followed by exactly 64 lowercase hex digits` };
  }
  if (ref.toLowerCase() === 'latest') {
    return { error: '"latest" is a floating tag: pin a version tag like 1.2.3 or a digest sha256:<64 hex>' };
  }
  if (ref.includes(':') || ref.includes('/')) {
    return { error: `"${ref}" looks like a full image name: give only the tag or the digest (e.g. 1.2.3)` };
  }
  if (!TAG.test(ref)) {
    return {
      error: `"${ref}" is not a valid tag: letters, digits, "_", "." and "-", not starting with "." or "-", at most 128 characters`,
    };
  }
  return { kind: 'tag', value: ref };
}
