import { stringify } from 'yaml';

/** The subset of cloud-config this package renders. */
export interface CloudConfig {
  readonly packages?: readonly string[];
  readonly package_update?: boolean;
  readonly package_upgrade?: boolean;
  readonly write_files?: readonly {
    readonly path: string;
    readonly content: string;
    readonly permissions?: string;
    readonly owner?: string;
  }[];
  readonly runcmd?: readonly (string | readonly string[])[];
}

/** Patterns that must never appear in rendered user data (a secret belongs in SSM or Secrets Manager). */
export const SECRET_PATTERNS: readonly RegExp[] = [
  /AKIA[0-9A-Z]{16}/,
  /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
  /tskey-(auth|client)-[A-Za-z0-9-]+/,
  /\b[a-z0-9]{6}\.[a-z0-9]{16}\b/, // kubeadm bootstrap token
  /(password|passwd|secret|token)[ \t]*[:=][ \t]*["']?[^\s"'$]{6,}/i,
];

/** EC2's limit on user data (before base64). */
export const MAX_USER_DATA_BYTES = 16384;

/**
 * Renders `#cloud-config` YAML; refuses a document that carries anything shaped like a secret or
 * that EC2 would reject for its size.
 */
export function renderCloudConfig(doc: CloudConfig): string {
  const text = `#cloud-config\n${stringify(doc, { lineWidth: 0 })}`;
  const hit = SECRET_PATTERNS.find((p) => p.test(text));
  if (hit)
    throw new Error(
      `cloud-init: user data contains something shaped like a secret (${hit.source}); read it from SSM at boot instead`,
    );
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_USER_DATA_BYTES) {
    throw new Error(`cloud-init: user data is ${bytes} bytes; EC2 accepts at most ${MAX_USER_DATA_BYTES}`);
  }
  return text;
}
