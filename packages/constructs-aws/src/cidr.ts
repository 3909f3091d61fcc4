/** IPv4 CIDR arithmetic used to carve subnets and to reject overlapping networks at synth time. */
export interface Cidr {
  readonly network: number;
  readonly prefix: number;
  readonly text: string;
}

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function parseIpv4(text: string): number | undefined {
  const m = IPV4.exec(text);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  if (parts.some((p) => p > 255)) return undefined;
  return parts.reduce((acc, p) => acc * 256 + p, 0);
}

export const formatIpv4 = (n: number): string =>
  [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');

/** Parses `a.b.c.d/n`; returns an error message instead when it is not a canonical IPv4 CIDR. */
export function parseCidr(text: string): Cidr | string {
  const [ip, len, ...rest] = text.split('/');
  const prefix = Number(len);
  const network = ip === undefined ? undefined : parseIpv4(ip);
  if (rest.length || network === undefined || len === undefined || !/^\d+$/.test(len) || prefix > 32) {
    return `"${text}" is not an IPv4 CIDR (expected e.g. "10.0.0.0/16")`;
  }
  const size = 2 ** (32 - prefix);
  if (network % size !== 0) {
    return `"${text}" has host bits set: the network address is ${formatIpv4(network - (network % size))}/${prefix}`;
  }
  return { network, prefix, text };
}

export const cidrSize = (c: Cidr): number => 2 ** (32 - c.prefix);

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
  return a.network < b.network + cidrSize(b) && b.network < a.network + cidrSize(a);
}

export function cidrContains(outer: Cidr, ip: number): boolean {
  return ip >= outer.network && ip < outer.network + cidrSize(outer);
}

/** Like Terraform's `cidrsubnet(prefix, newbits, netnum)`. */
export function subnetCidr(parent: Cidr, newbits: number, netnum: number): string {
  const prefix = parent.prefix + newbits;
  if (prefix > 32 || netnum >= 2 ** newbits) {
    throw new Error(`cannot carve subnet ${netnum} of /${prefix} out of ${parent.text}`);
  }
  return `${formatIpv4(parent.network + netnum * 2 ** (32 - prefix))}/${prefix}`;
}
