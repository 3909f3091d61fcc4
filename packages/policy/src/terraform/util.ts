/** Helpers the Terraform rules share: reading synthesized JSON values and following references. */
import type { PolicyResource } from '../core';
import type { UnitContext } from '../sources';

/** Terraform JSON booleans may be real booleans or the strings "true"/"false". */
export const isTrue = (v: unknown): boolean => v === true || v === 'true';
export const isFalse = (v: unknown): boolean => v === false || v === 'false';

/** A nested block as a list of objects, whether synthesized as an object or a list. */
export function blocks(v: unknown): Record<string, unknown>[] {
  if (Array.isArray(v)) return v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object');
  return v && typeof v === 'object' ? [v as Record<string, unknown>] : [];
}

export const str = (v: unknown): string =>
  typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);

/** The Terraform name of a resource (`aws_s3_bucket.site` -> `site`). */
export function nameOf(r: PolicyResource): string {
  const last = r.address.split('/').pop() ?? '';
  return last.startsWith(`${r.type}.`) ? last.slice(r.type.length + 1) : last;
}

/** True when `value` (any JSON) contains a reference to resource `type.name`. */
export function refersTo(value: unknown, r: PolicyResource): boolean {
  const needle = `${r.type}.${nameOf(r)}.`;
  return str(value).includes(needle);
}

/** Resources of `type` in the unit whose `field` refers to `target`. */
export function referencing(
  ctx: UnitContext,
  type: string,
  field: string,
  target: PolicyResource,
): PolicyResource[] {
  return ctx.resources.filter((o) => o.type === type && refersTo(o.body[field], target));
}

export interface Statement {
  readonly Effect?: string;
  readonly Action?: string | string[];
  readonly NotAction?: string | string[];
  readonly Resource?: string | string[];
  readonly Principal?: unknown;
  readonly Condition?: Record<string, unknown>;
}

/** Statements of a policy document given as a JSON string; undefined when it is not literal JSON. */
export function statements(doc: unknown): Statement[] | undefined {
  if (typeof doc !== 'string') return undefined;
  try {
    const parsed = JSON.parse(doc) as { Statement?: Statement | Statement[] };
    const s = parsed.Statement;
    return Array.isArray(s) ? s : s ? [s] : [];
  } catch {
    return undefined;
  }
}

export const list = (v: string | string[] | undefined): string[] =>
  v === undefined ? [] : Array.isArray(v) ? v : [v];

/** Principal `*` or `{AWS: "*"}`. */
export function isAnyone(p: unknown): boolean {
  if (p === '*') return true;
  if (p && typeof p === 'object' && 'AWS' in p) {
    const aws = (p as { AWS: unknown }).AWS;
    return aws === '*' || (Array.isArray(aws) && aws.includes('*'));
  }
  return false;
}

export const INTERNET = ['0.0.0.0/0', '::/0'];

/**
 * Security-group rules as flat records, from standalone rule resources and inline blocks:
 * direction, protocol, ports, CIDRs and description.
 */
export interface FlatRule {
  readonly direction: 'ingress' | 'egress';
  readonly protocol: string;
  readonly from: number | undefined;
  readonly to: number | undefined;
  readonly cidrs: string[];
  readonly description: string;
}

const num = (v: unknown): number | undefined =>
  v === undefined || v === null || v === '' ? undefined : Number(v);

export function flatRules(r: PolicyResource): FlatRule[] {
  const b = r.body;
  switch (r.type) {
    case 'aws_vpc_security_group_ingress_rule':
    case 'aws_vpc_security_group_egress_rule':
      return [
        {
          direction: r.type.endsWith('ingress_rule') ? 'ingress' : 'egress',
          protocol: str(b.ip_protocol),
          from: num(b.from_port),
          to: num(b.to_port),
          cidrs: [str(b.cidr_ipv4), str(b.cidr_ipv6)].filter(Boolean),
          description: str(b.description),
        },
      ];
    case 'aws_security_group_rule':
      return [
        {
          direction: b.type === 'egress' ? 'egress' : 'ingress',
          protocol: str(b.protocol),
          from: num(b.from_port),
          to: num(b.to_port),
          cidrs: [
            ...((b.cidr_blocks as string[] | undefined) ?? []),
            ...((b.ipv6_cidr_blocks as string[] | undefined) ?? []),
          ],
          description: str(b.description),
        },
      ];
    case 'aws_security_group':
    case 'aws_default_security_group':
      return (['ingress', 'egress'] as const).flatMap((direction) =>
        blocks(b[direction]).map((x) => ({
          direction,
          protocol: str(x.protocol),
          from: num(x.from_port),
          to: num(x.to_port),
          cidrs: [
            ...((x.cidr_blocks as string[] | undefined) ?? []),
            ...((x.ipv6_cidr_blocks as string[] | undefined) ?? []),
          ],
          description: str(x.description),
        })),
      );
    default:
      return [];
  }
}

export const SG_RULE_TYPES = [
  'aws_vpc_security_group_ingress_rule',
  'aws_vpc_security_group_egress_rule',
  'aws_security_group_rule',
  'aws_security_group',
];

export const allProtocols = (p: string): boolean => p === '-1' || p === 'all';

/** Does the rule's port range include `port` (all-protocol rules include every port)? */
export function coversPort(rule: FlatRule, port: number): boolean {
  if (allProtocols(rule.protocol)) return true;
  if (rule.from === undefined || rule.to === undefined) return false;
  return rule.from <= port && port <= rule.to;
}

/** user_data as text: decoded when it is base64. */
export function userDataText(body: Readonly<Record<string, unknown>>): string {
  const raw = str(body.user_data ?? body.user_data_base64);
  if (/^[A-Za-z0-9+/]+={0,2}$/.test(raw) && raw.length % 4 === 0 && raw.length > 16) {
    return Buffer.from(raw, 'base64').toString('utf8');
  }
  return raw;
}
