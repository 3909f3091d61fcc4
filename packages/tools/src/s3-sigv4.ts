/**
 * AWS Signature Version 4 as Amazon S3 computes it, from the published specification: the
 * canonical request, the string to sign, the signing key and the signature. Pure functions, used by
 * the local S3 server (`./s3-local`) to verify requests.
 */
import { createHash, createHmac, type KeyObject } from 'node:crypto';

export const ALGORITHM = 'AWS4-HMAC-SHA256';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
/** SHA-256 of an empty body, in hex. */
export const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';

/**
 * RFC 3986 encoding as SigV4 asks for it: every byte except the unreserved characters
 * `A-Z a-z 0-9 - _ . ~` as `%XY` with upper-case hex (`encodeURIComponent` leaves `!'()*` alone).
 */
export function uriEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** The canonical URI of a path-style S3 request from its decoded path segments (no normalisation). */
export const canonicalUri = (segments: readonly string[]): string => `/${segments.map(uriEncode).join('/')}`;

/**
 * The canonical query string: names and values (decoded) encoded again, sorted by name then value,
 * a missing value as the empty string. The caller leaves out `X-Amz-Signature`.
 */
export function canonicalQuery(params: readonly (readonly [string, string])[]): string {
  const encoded = params.map(([k, v]) => [uriEncode(k), uriEncode(v)] as const);
  encoded.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  return encoded.map(([k, v]) => `${k}=${v}`).join('&');
}

/** A header's values as they are signed: each trimmed, inner runs of spaces made one, joined by `,`. */
export const canonicalHeaderValue = (values: readonly string[]): string =>
  values.map((v) => v.trim().replace(/\s+/g, ' ')).join(',');

export interface CanonicalRequestParts {
  readonly method: string;
  /** Already canonical (see `canonicalUri`). */
  readonly uri: string;
  /** Already canonical (see `canonicalQuery`). */
  readonly query: string;
  /** Signed header names, lower case, in signing order (sorted). */
  readonly signedHeaders: readonly string[];
  /** A signed header's values as received; absent headers sign as the empty string. */
  readonly headerValues: (name: string) => readonly string[];
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  readonly payloadHash: string;
}

export function canonicalRequest(p: CanonicalRequestParts): string {
  const headers = p.signedHeaders.map((h) => `${h}:${canonicalHeaderValue(p.headerValues(h))}\n`).join('');
  return [p.method, p.uri, p.query, headers, p.signedHeaders.join(';'), p.payloadHash].join('\n');
}

/** `<date>/<region>/<service>/aws4_request`. */
export const credentialScope = (date: string, region: string, service = 's3') =>
  `${date}/${region}/${service}/aws4_request`;

export const stringToSign = (amzDate: string, scope: string, canonical: string): string =>
  [ALGORITHM, amzDate, scope, createHash('sha256').update(canonical).digest('hex')].join('\n');

export function signingKey(secret: string, date: string, region: string, service = 's3'): Buffer {
  const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/** A KeyObject key (see `createSecretKey`) spares createHmac its slow check of a Buffer key. */
export const signature = (key: Buffer | KeyObject, toSign: string): string =>
  createHmac('sha256', key).update(toSign).digest('hex');

/** Milliseconds since the epoch of an ISO 8601 basic timestamp (`20130524T000000Z`), or undefined. */
export function parseAmzDate(s: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const [y, mo, d, h, mi, se] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(t);
  // Date.UTC rolls 2013-02-30 over to March (and years below 100 into the 1900s): only a real
  // calendar time comes back unchanged.
  const fields = [
    back.getUTCFullYear(),
    back.getUTCMonth() + 1,
    back.getUTCDate(),
    back.getUTCHours(),
    back.getUTCMinutes(),
    back.getUTCSeconds(),
  ];
  if (fields.some((f, i) => f !== [y, mo, d, h, mi, se][i])) return undefined;
  return t;
}
