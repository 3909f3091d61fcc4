// Brings cdktn's jest matcher types (toHaveResourceWithProperties ...) into the test files.
import type {} from 'cdktn/lib/testing/adapters/jest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TerraformStack, Testing } from 'cdktn';
import { parse } from 'yaml';
import type { Construct } from 'constructs';

export type TfJson = {
  resource: Record<string, Record<string, Record<string, unknown>>>;
  data?: Record<string, Record<string, Record<string, unknown>>>;
};

/** Synthesizes a scope in process and parses the JSON. */
export function synth(fn: (scope: Construct) => void): { text: string; json: TfJson } {
  const text = Testing.synthScope(fn);
  return { text, json: JSON.parse(text) as TfJson };
}

export function resourcesOf(json: TfJson, type: string): Record<string, unknown>[] {
  return Object.values(json.resource[type] ?? {});
}

/**
 * Synthesizes keeping the `//` comment blocks (Testing.synthScope strips them; the policy loader
 * reads acknowledgements from them).
 */
export function synthWithComments(fn: (scope: Construct) => void): TfJson {
  const stack = new TerraformStack(Testing.app(), 'stack');
  fn(stack);
  return JSON.parse(JSON.stringify(stack.toTerraform())) as TfJson;
}

/** Runs a command on a temp file; returns its exit code and output. */
export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'constructs-aws-'));
  try {
    return fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function run(cmd: string, args: string[]): { code: number; output: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error)
    throw new Error(`${cmd} could not run (${r.error.message}); \`pnpm test-services\` installs it`);
  return { code: r.status ?? 1, output: `${r.stdout}${r.stderr}` };
}

/** `cloud-init schema --config-file` on a rendered document (the Debian cloud-init package). */
export function cloudInitSchema(doc: string): { code: number; output: string } {
  return withTempDir((dir) => {
    const file = join(dir, 'user-data.yaml');
    writeFileSync(file, doc);
    return run('cloud-init', ['schema', '--config-file', file]);
  });
}

/** `sh -n` (syntax only) on every shell script a cloud-config document writes; returns the failures. */
export function shellSyntaxErrors(doc: string): string[] {
  const files = (
    (parse(doc) as { write_files?: { path: string; content: string }[] }).write_files ?? []
  ).filter((f) => f.content.startsWith('#!/bin/sh'));
  if (!files.length) throw new Error('the document writes no shell scripts');
  return withTempDir((dir) =>
    files.flatMap((f, i) => {
      const file = join(dir, `script-${i}.sh`);
      writeFileSync(file, f.content);
      const r = run('sh', ['-n', file]);
      return r.code === 0 ? [] : [`${f.path}: ${r.output.trim()}`];
    }),
  );
}
