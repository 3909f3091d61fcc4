/**
 * A local S3-protocol server for tests and benchmarks: `node:http` on loopback, objects in memory,
 * path-style addressing (`/<bucket>/<key>`), and AWS Signature Version 4 verified the way S3 does
 * it, in the Authorization header and in presigned query strings. A presigned PUT whose signed
 * Content-Type or Content-Length differs from the request is refused, as S3 refuses it.
 *
 * Operations: PutObject, GetObject, HeadObject, DeleteObject. Anything else (bucket operations,
 * listing, multipart, copy, ACLs, tagging, aws-chunked streaming uploads) answers 501 NotImplemented.
 */
import { createHash, createSecretKey, timingSafeEqual, type Hash, type KeyObject } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { crc32 } from 'node:zlib';
import {
  ALGORITHM,
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  parseAmzDate,
  signature,
  signingKey,
  stringToSign,
  UNSIGNED_PAYLOAD,
} from './s3-sigv4';

export interface LocalS3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

export interface LocalS3Options {
  /** Buckets that exist from the start (there is no CreateBucket). @default [] */
  readonly buckets?: readonly string[];
  /** The one key pair the server accepts. */
  readonly credentials: LocalS3Credentials;
  /** The region requests must be signed for. @default 'us-east-1' */
  readonly region?: string;
  /** Largest object a PUT may store; larger ones answer 400 EntityTooLarge. @default 5 GiB */
  readonly maxObjectBytes?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (any free port) */
  readonly port?: number;
}

export interface StoredObject {
  readonly body: Buffer;
  readonly contentType: string;
  /** Quoted hex MD5 of the body, as S3 returns it for a single-part upload. */
  readonly etag: string;
  readonly lastModified: Date;
  /** `x-amz-meta-*` headers, names lower case without the prefix. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Cache-Control, Content-Disposition, Content-Encoding, Content-Language, Expires as sent. */
  readonly headers: Readonly<Record<string, string>>;
}

export interface LocalS3 {
  /** `http://127.0.0.1:<port>`: give it to the client with `forcePathStyle: true`. */
  readonly endpoint: string;
  readonly port: number;
  readonly region: string;
  readonly credentials: LocalS3Credentials;
  /** The stored objects of a bucket, by key (read only; undefined for an unknown bucket). */
  objects(bucket: string): ReadonlyMap<string, StoredObject> | undefined;
  close(): Promise<void>;
}

const FIVE_GIB = 5 * 1024 ** 3;
const MAX_SKEW_MS = 15 * 60 * 1000;
const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const MAX_KEY_BYTES = 1024;
const MAX_METADATA_BYTES = 2048;
/** Bodies of refused requests up to this size are read and dropped so the connection stays usable. */
const DRAIN_LIMIT = 64 * 1024 * 1024;
const BUCKET_NAME = /^(?!xn--)(?!.*\.\.)(?!\d+\.\d+\.\d+\.\d+$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const HEX64 = /^[0-9a-f]{64}$/;
/** Stored as sent and returned on GET and HEAD, like Content-Type. */
const STORED_HEADERS = [
  'cache-control',
  'content-disposition',
  'content-encoding',
  'content-language',
  'expires',
];
/** Query parameters presigned requests carry for SigV4 itself (everything else `x-amz-*` is a header). */
const AUTH_PARAMS = new Set([
  'X-Amz-Algorithm',
  'X-Amz-Credential',
  'X-Amz-Date',
  'X-Amz-Expires',
  'X-Amz-SignedHeaders',
  'X-Amz-Signature',
  'X-Amz-Content-Sha256',
  'X-Amz-Security-Token',
]);
const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
};
/** Checksums verified against the body (CRC32C and CRC64NVME are accepted unverified). */
const CHECKSUMS: Record<string, { bytes: number; name: string }> = {
  'x-amz-checksum-crc32': { bytes: 4, name: 'CRC32' },
  'x-amz-checksum-sha1': { bytes: 20, name: 'SHA1' },
  'x-amz-checksum-sha256': { bytes: 32, name: 'SHA256' },
};

/** An S3 error answer: status, code, message and extra elements of the XML body. */
class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: Record<string, string> = {},
  ) {
    super(message);
  }
}

interface Target {
  bucket: string;
  /** undefined for `/` and `/<bucket>`, '' for `/<bucket>/`. */
  key: string | undefined;
  canonicalUri: string;
  /** Decoded query parameters in order. */
  params: [string, string][];
}

interface Authenticated {
  payloadHash: string;
  /** Request headers plus, for a presigned URL, the `x-amz-*` headers hoisted into its query. */
  headers: (name: string) => string | undefined;
  /** The names `headers` knows, lower case. */
  names: () => string[];
}

const xmlUnescape = (s: string) =>
  s.replace(/&(lt|gt|amp|quot|apos|#x[0-9a-fA-F]+|#\d+);/g, (_, e: string) =>
    e === 'lt'
      ? '<'
      : e === 'gt'
        ? '>'
        : e === 'amp'
          ? '&'
          : e === 'quot'
            ? '"'
            : e === 'apos'
              ? "'"
              : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : Number(e.slice(1))),
  );
const xmlEscape = (s: string) =>
  s.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c,
  );

function decode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    throw new S3Error(400, 'InvalidURI', "Couldn't parse the specified URI.");
  }
}

function parseTarget(url: string | undefined): Target {
  if (!url || url[0] !== '/') throw new S3Error(400, 'InvalidURI', "Couldn't parse the specified URI.");
  const q = url.indexOf('?');
  const rawPath = q < 0 ? url : url.slice(0, q);
  const rawQuery = q < 0 ? '' : url.slice(q + 1);
  const segments = rawPath.slice(1).split('/').map(decode);
  const params: [string, string][] = [];
  for (const part of rawQuery.split('&')) {
    if (!part) continue;
    const eq = part.indexOf('=');
    params.push(eq < 0 ? [decode(part), ''] : [decode(part.slice(0, eq)), decode(part.slice(eq + 1))]);
  }
  return {
    bucket: segments[0] ?? '',
    key: segments.length > 1 ? segments.slice(1).join('/') : undefined,
    canonicalUri: canonicalUri(segments),
    params,
  };
}

/** A header's values as received (repeated headers keep every value). */
function rawHeaderValues(req: IncomingMessage): (name: string) => string[] {
  let byName: Map<string, string[]> | undefined;
  return (name) => {
    if (!byName) {
      byName = new Map();
      const raw = req.rawHeaders;
      for (let i = 0; i < raw.length; i += 2) {
        const n = raw[i]!.toLowerCase();
        const list = byName.get(n);
        if (list) list.push(raw[i + 1]!);
        else byName.set(n, [raw[i + 1]!]);
      }
    }
    return byName.get(name) ?? [];
  };
}

const single = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

interface Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  terminal: string;
}

function parseCredential(value: string, malformed: (why: string) => S3Error): Credential {
  const parts = value.split('/');
  if (parts.length !== 5 || parts.some((p) => !p)) {
    throw malformed(
      `the Credential is mal-formed; expecting "<YOUR-AKID>/YYYYMMDD/REGION/SERVICE/aws4_request".`,
    );
  }
  const [accessKeyId, date, region, service, terminal] = parts as [string, string, string, string, string];
  if (!/^\d{8}$/.test(date)) throw malformed(`incorrect date format "${date}". This date must be YYYYMMDD.`);
  return { accessKeyId, date, region, service, terminal };
}

export async function startLocalS3(opts: LocalS3Options): Promise<LocalS3> {
  const region = opts.region ?? 'us-east-1';
  const maxObjectBytes = opts.maxObjectBytes ?? FIVE_GIB;
  const host = opts.host ?? '127.0.0.1';
  const { accessKeyId, secretAccessKey } = opts.credentials;
  const problems: string[] = [];
  for (const b of opts.buckets ?? []) {
    if (!BUCKET_NAME.test(b)) {
      problems.push(
        `bucket "${b}" is not a valid S3 bucket name (3-63 of a-z 0-9 . -, starting and ending alphanumeric)`,
      );
    }
  }
  if (!accessKeyId || accessKeyId.includes('/'))
    problems.push(`credentials.accessKeyId "${accessKeyId}" must be non-empty without "/"`);
  if (!secretAccessKey) problems.push('credentials.secretAccessKey must be non-empty');
  if (!/^[a-z0-9-]+$/.test(region)) problems.push(`region "${region}" must be like "us-east-1"`);
  if (!Number.isSafeInteger(maxObjectBytes) || maxObjectBytes < 0) {
    problems.push(`maxObjectBytes ${maxObjectBytes} must be a non-negative integer`);
  }
  if (problems.length) throw new Error(`startLocalS3: ${problems.join('; ')}`);

  const buckets = new Map<string, Map<string, StoredObject>>(
    (opts.buckets ?? []).map((b) => [b, new Map<string, StoredObject>()]),
  );
  const keys = new Map<string, KeyObject>();
  const keyFor = (date: string) => {
    let k = keys.get(date);
    if (!k) keys.set(date, (k = createSecretKey(signingKey(secretAccessKey, date, region))));
    return k;
  };
  let requests = 0;

  /** S3 refuses `x-amz-*` headers that arrived unsigned. */
  const refuseUnsigned = (req: IncomingMessage, signed: readonly string[]) => {
    const notSigned = Object.keys(req.headers).filter((h) => h.startsWith('x-amz-') && !signed.includes(h));
    if (notSigned.length)
      throw new S3Error(
        403,
        'AccessDenied',
        'There were headers present in the request which were not signed',
        {
          HeadersNotSigned: notSigned.join(', '),
        },
      );
  };

  function verify(
    req: IncomingMessage,
    t: Target,
    cred: Credential,
    amzDate: string,
    signedHeaders: string[],
    given: string,
    payloadHash: string,
    params: [string, string][],
  ): void {
    const headerValues = rawHeaderValues(req);
    const canonical = canonicalRequest({
      method: req.method ?? '',
      uri: t.canonicalUri,
      query: canonicalQuery(params),
      signedHeaders,
      headerValues,
      payloadHash,
    });
    const toSign = stringToSign(amzDate, credentialScope(cred.date, region), canonical);
    const expected = signature(keyFor(cred.date), toSign);
    if (!HEX64.test(given) || !timingSafeEqual(Buffer.from(expected), Buffer.from(given))) {
      throw new S3Error(
        403,
        'SignatureDoesNotMatch',
        'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
        {
          AWSAccessKeyId: cred.accessKeyId,
          StringToSign: toSign,
          SignatureProvided: given,
          CanonicalRequest: canonical,
        },
      );
    }
  }

  function checkScope(cred: Credential, amzDate: string, malformed: (why: string) => S3Error): void {
    if (cred.date !== amzDate.slice(0, 8)) {
      throw malformed(
        `Invalid credential date "${cred.date}". This date is not the same as X-Amz-Date: "${amzDate.slice(0, 8)}".`,
      );
    }
    if (cred.region !== region) {
      const e = malformed(`the region '${cred.region}' is wrong; expecting '${region}'`);
      e.extra.Region = region;
      throw e;
    }
    if (cred.service !== 's3')
      throw malformed(`incorrect service "${cred.service}". This endpoint belongs to "s3".`);
    if (cred.terminal !== 'aws4_request') {
      throw malformed(`incorrect terminal "${cred.terminal}". This endpoint uses "aws4_request".`);
    }
    if (cred.accessKeyId !== accessKeyId) {
      throw new S3Error(
        403,
        'InvalidAccessKeyId',
        'The AWS Access Key Id you provided does not exist in our records.',
        {
          AWSAccessKeyId: cred.accessKeyId,
        },
      );
    }
  }

  function checkPayloadHash(value: string): string {
    if (value === UNSIGNED_PAYLOAD || HEX64.test(value)) return value;
    if (value.startsWith('STREAMING-')) {
      throw new S3Error(
        501,
        'NotImplemented',
        `x-amz-content-sha256 ${value} (aws-chunked uploads) is not implemented here.`,
      );
    }
    throw new S3Error(
      400,
      'InvalidArgument',
      'x-amz-content-sha256 must be UNSIGNED-PAYLOAD, STREAMING-AWS4-HMAC-SHA256-PAYLOAD or a valid sha256 value.',
      {
        ArgumentName: 'x-amz-content-sha256',
        ArgumentValue: value,
      },
    );
  }

  function signedHeaderList(value: string, malformed: (why: string) => S3Error): string[] {
    const list = value.split(';');
    for (let i = 0; i < list.length; i++) {
      if (!/^[a-z0-9-]+$/.test(list[i]!))
        throw malformed(`the SignedHeaders "${value}" are not lower-case header names.`);
      if (i > 0 && list[i - 1]! >= list[i]!)
        throw malformed(`the SignedHeaders "${value}" are not sorted and unique.`);
    }
    if (!list.includes('host')) throw malformed('the SignedHeaders must include "host".');
    return list;
  }

  function authenticateHeader(req: IncomingMessage, t: Target, auth: string, now: number): Authenticated {
    const malformed = (why: string) =>
      new S3Error(400, 'AuthorizationHeaderMalformed', `The authorization header is malformed; ${why}`);
    const sp = auth.indexOf(' ');
    const algorithm = sp < 0 ? auth : auth.slice(0, sp);
    if (algorithm === 'AWS') {
      throw new S3Error(
        400,
        'InvalidRequest',
        `The authorization mechanism you have provided is not supported. Please use ${ALGORITHM}.`,
      );
    }
    if (algorithm !== ALGORITHM)
      throw new S3Error(400, 'InvalidArgument', 'Unsupported Authorization Type', {
        ArgumentName: 'Authorization',
        ArgumentValue: auth.slice(0, 64),
      });
    const fields = new Map<string, string>();
    for (const part of auth.slice(sp + 1).split(',')) {
      const p = part.trim();
      const eq = p.indexOf('=');
      const name = eq < 0 ? p : p.slice(0, eq);
      if (eq < 0 || fields.has(name)) throw malformed(`"${p.slice(0, 64)}" is not one Name=value pair.`);
      fields.set(name, p.slice(eq + 1));
    }
    const credential = fields.get('Credential');
    const signed = fields.get('SignedHeaders');
    const given = fields.get('Signature');
    if (credential === undefined || signed === undefined || given === undefined || fields.size !== 3) {
      throw malformed('it must have exactly Credential, SignedHeaders and Signature.');
    }
    const cred = parseCredential(credential, malformed);
    const signedHeaders = signedHeaderList(signed, malformed);
    const amzDate = single(req.headers, 'x-amz-date');
    const at = amzDate === undefined ? undefined : parseAmzDate(amzDate);
    if (amzDate === undefined || at === undefined) {
      throw new S3Error(403, 'AccessDenied', 'AWS authentication requires a valid Date or x-amz-date header');
    }
    checkScope(cred, amzDate, malformed);
    if (Math.abs(now - at) > MAX_SKEW_MS) {
      throw new S3Error(
        403,
        'RequestTimeTooSkewed',
        'The difference between the request time and the current time is too large.',
        {
          RequestTime: amzDate,
          ServerTime: new Date(now).toISOString(),
          MaxAllowedSkewMilliseconds: String(MAX_SKEW_MS),
        },
      );
    }
    const sha = single(req.headers, 'x-amz-content-sha256');
    if (sha === undefined) {
      throw new S3Error(
        400,
        'InvalidRequest',
        'Missing required header for this request: x-amz-content-sha256',
      );
    }
    const payloadHash = checkPayloadHash(sha);
    refuseUnsigned(req, signedHeaders);
    verify(req, t, cred, amzDate, signedHeaders, given, payloadHash, t.params);
    return {
      payloadHash,
      headers: (name) => single(req.headers, name),
      names: () => Object.keys(req.headers),
    };
  }

  function authenticateQuery(req: IncomingMessage, t: Target, now: number): Authenticated {
    const malformed = (why: string) =>
      new S3Error(
        400,
        'AuthorizationQueryParametersError',
        `Error parsing the X-Amz-Credential parameter; ${why}`,
      );
    const q = new Map<string, string>();
    for (const [k, v] of t.params) {
      if (AUTH_PARAMS.has(k) && q.has(k)) {
        throw new S3Error(400, 'AuthorizationQueryParametersError', `${k} is given more than once.`);
      }
      q.set(k, v);
    }
    const algorithm = q.get('X-Amz-Algorithm');
    const credential = q.get('X-Amz-Credential');
    const amzDate = q.get('X-Amz-Date');
    const expires = q.get('X-Amz-Expires');
    const signed = q.get('X-Amz-SignedHeaders');
    const given = q.get('X-Amz-Signature');
    if (
      algorithm === undefined ||
      credential === undefined ||
      amzDate === undefined ||
      expires === undefined ||
      signed === undefined ||
      given === undefined
    ) {
      throw new S3Error(
        400,
        'AuthorizationQueryParametersError',
        'Query-string authentication version 4 requires the X-Amz-Algorithm, X-Amz-Credential, X-Amz-Signature, X-Amz-Date, X-Amz-SignedHeaders, and X-Amz-Expires parameters.',
      );
    }
    if (algorithm !== ALGORITHM) {
      throw new S3Error(
        400,
        'AuthorizationQueryParametersError',
        `X-Amz-Algorithm only supports "${ALGORITHM}".`,
      );
    }
    const at = parseAmzDate(amzDate);
    if (at === undefined) {
      throw new S3Error(
        400,
        'AuthorizationQueryParametersError',
        `X-Amz-Date must be in the ISO8601 Long Format "yyyyMMdd'T'HHmmss'Z'".`,
      );
    }
    if (!/^\d{1,7}$/.test(expires)) {
      throw new S3Error(
        400,
        'AuthorizationQueryParametersError',
        'X-Amz-Expires should be a number of seconds.',
      );
    }
    const expiresIn = Number(expires);
    if (expiresIn > MAX_PRESIGN_SECONDS) {
      throw new S3Error(
        400,
        'AuthorizationQueryParametersError',
        `X-Amz-Expires must be less than a week (in seconds) that is ${MAX_PRESIGN_SECONDS}.`,
      );
    }
    const cred = parseCredential(credential, malformed);
    const signedHeaders = signedHeaderList(
      signed,
      (why) => new S3Error(400, 'AuthorizationQueryParametersError', `X-Amz-SignedHeaders: ${why}`),
    );
    checkScope(cred, amzDate, malformed);
    if (now > at + expiresIn * 1000) {
      throw new S3Error(403, 'AccessDenied', 'Request has expired', {
        'X-Amz-Expires': expires,
        Expires: new Date(at + expiresIn * 1000).toISOString(),
        ServerTime: new Date(now).toISOString(),
      });
    }
    if (at > now + MAX_SKEW_MS) throw new S3Error(403, 'AccessDenied', 'Request is not valid yet');
    const sha = q.get('X-Amz-Content-Sha256');
    const payloadHash = sha === undefined ? UNSIGNED_PAYLOAD : checkPayloadHash(sha);
    refuseUnsigned(req, signedHeaders);
    verify(
      req,
      t,
      cred,
      amzDate,
      signedHeaders,
      given,
      payloadHash,
      t.params.filter(([k]) => k !== 'X-Amz-Signature'),
    );
    // Headers the signer moved into the query (x-amz-meta-*, checksums) count as headers.
    const hoisted = new Map<string, string>();
    for (const [k, v] of t.params) {
      const lower = k.toLowerCase();
      if (!AUTH_PARAMS.has(k) && lower.startsWith('x-amz-') && !hoisted.has(lower)) hoisted.set(lower, v);
    }
    return {
      payloadHash,
      headers: (name) => single(req.headers, name) ?? hoisted.get(name),
      names: () => [...new Set([...Object.keys(req.headers), ...hoisted.keys()])],
    };
  }

  function authenticate(req: IncomingMessage, t: Target, now: number): Authenticated {
    const auth = single(req.headers, 'authorization');
    const presigned = t.params.some(
      ([k]) => k === 'X-Amz-Algorithm' || k === 'X-Amz-Signature' || k === 'X-Amz-Credential',
    );
    if (auth !== undefined && presigned) {
      throw new S3Error(
        400,
        'InvalidArgument',
        'Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter or the Authorization header should be specified',
      );
    }
    if (auth === undefined && !presigned) throw new S3Error(403, 'AccessDenied', 'Access Denied');
    // Only the long-term key pair exists here: no session token can be valid.
    if (
      req.headers['x-amz-security-token'] !== undefined ||
      t.params.some(([k]) => k === 'X-Amz-Security-Token')
    ) {
      throw new S3Error(403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
    }
    return auth !== undefined ? authenticateHeader(req, t, auth, now) : authenticateQuery(req, t, now);
  }

  interface Body {
    bytes: Buffer;
    md5: Buffer;
    digests: Map<string, Buffer>;
  }

  /** Reads the body once, hashing as it goes; refuses more than `limit` bytes. */
  function readBody(
    req: IncomingMessage,
    limit: number,
    wanted: Map<string, 'sha1' | 'sha256' | 'crc32'>,
  ): Promise<Body> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let crc = 0;
      const md5 = createHash('md5');
      const hashes = new Map<string, Hash>();
      for (const [name, kind] of wanted) if (kind !== 'crc32') hashes.set(name, createHash(kind));
      const wantsCrc = [...wanted.values()].includes('crc32');
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > limit) {
          req.removeAllListeners('data');
          reject(
            new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
              MaxSizeAllowed: String(limit),
            }),
          );
          return;
        }
        chunks.push(c);
        md5.update(c);
        for (const h of hashes.values()) h.update(c);
        if (wantsCrc) crc = crc32(c, crc);
      });
      req.on('end', () => {
        const digests = new Map<string, Buffer>();
        for (const [name, h] of hashes) digests.set(name, h.digest());
        for (const [name, kind] of wanted) {
          if (kind === 'crc32') {
            const b = Buffer.alloc(4);
            b.writeUInt32BE(crc >>> 0);
            digests.set(name, b);
          }
        }
        resolve({
          bytes: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
          md5: md5.digest(),
          digests,
        });
      });
      req.on('error', reject);
    });
  }

  /** A value that can be sent back as a header (metadata from a presigned URL's query could not). */
  function headerSafe(name: string, v: string): string {
    if (/[^\t\x20-\x7e\x80-\xff]/.test(v)) {
      throw new S3Error(400, 'InvalidArgument', `${name} has characters a header cannot carry.`, {
        ArgumentName: name,
      });
    }
    return v;
  }

  function objectHeaders(obj: StoredObject, params: [string, string][]): Record<string, string | number> {
    const h: Record<string, string | number> = {
      'content-type': obj.contentType,
      'content-length': obj.body.length,
      etag: obj.etag,
      'last-modified': obj.lastModified.toUTCString(),
      'accept-ranges': 'bytes',
      ...obj.headers,
    };
    for (const [k, v] of Object.entries(obj.metadata)) h[`x-amz-meta-${k}`] = v;
    for (const [k, v] of params) {
      const header = RESPONSE_OVERRIDES[k];
      if (header) h[header] = headerSafe(k, v);
    }
    return h;
  }

  /**
   * What a request body must be checked against: Content-MD5, `x-amz-checksum-*` headers and a
   * signed payload hash. `wanted` tells readBody which digests to compute; `verify` checks them.
   */
  function bodyIntegrity(a: Authenticated): {
    wanted: Map<string, 'sha1' | 'sha256' | 'crc32'>;
    verify(body: Body): void;
  } {
    const md5Header = a.headers('content-md5');
    let md5Expected: Buffer | undefined;
    if (md5Header !== undefined) {
      md5Expected = Buffer.from(md5Header, 'base64');
      if (md5Expected.length !== 16 || md5Expected.toString('base64') !== md5Header.trim()) {
        throw new S3Error(400, 'InvalidDigest', 'The Content-MD5 you specified was invalid.', {
          'Content-MD5': md5Header,
        });
      }
    }
    const wanted = new Map<string, 'sha1' | 'sha256' | 'crc32'>();
    const expectedChecksums = new Map<string, Buffer>();
    for (const [name, spec] of Object.entries(CHECKSUMS)) {
      const v = a.headers(name);
      if (v === undefined) continue;
      const b = Buffer.from(v, 'base64');
      if (b.length !== spec.bytes || b.toString('base64') !== v.trim()) {
        throw new S3Error(400, 'InvalidRequest', `Value for ${name} header is invalid.`);
      }
      expectedChecksums.set(name, b);
      wanted.set(
        name,
        name === 'x-amz-checksum-crc32' ? 'crc32' : name === 'x-amz-checksum-sha1' ? 'sha1' : 'sha256',
      );
    }
    if (HEX64.test(a.payloadHash)) wanted.set('payload', 'sha256');

    return {
      wanted,
      verify(body: Body) {
        checkPayload(a, body);
        if (md5Expected && !md5Expected.equals(body.md5)) {
          throw new S3Error(
            400,
            'BadDigest',
            'The Content-MD5 you specified did not match what we received.',
            {
              ExpectedDigest: md5Header ?? '',
              CalculatedDigest: body.md5.toString('base64'),
            },
          );
        }
        for (const [name, expected] of expectedChecksums) {
          if (!expected.equals(body.digests.get(name)!)) {
            throw new S3Error(
              400,
              'BadDigest',
              `The ${CHECKSUMS[name]!.name} you specified did not match the calculated checksum.`,
            );
          }
        }
      },
    };
  }

  /** GET /<bucket>?list-type=2: keys in byte order, with prefix, start-after and continuation. */
  function listObjectsV2(
    res: ServerResponse,
    bucket: string,
    store: Map<string, StoredObject>,
    params: [string, string][],
  ): void {
    const q = new Map(params);
    const prefix = q.get('prefix') ?? '';
    const maxKeysRaw = q.get('max-keys') ?? '1000';
    const maxKeys = Number(maxKeysRaw);
    if (!/^\d+$/.test(maxKeysRaw) || maxKeys > 2 ** 31 - 1)
      throw new S3Error(400, 'InvalidArgument', 'Provided max-keys not an integer or within integer range');
    let after = q.get('start-after') ?? '';
    const token = q.get('continuation-token');
    if (token !== undefined) {
      const decoded = Buffer.from(token, 'base64url').toString('utf8');
      if (!token || Buffer.from(decoded, 'utf8').toString('base64url') !== token)
        throw new S3Error(400, 'InvalidArgument', 'The continuation token provided is incorrect');
      after = decoded;
    }
    const keys = [...store.keys()]
      .filter((k) => k.startsWith(prefix) && Buffer.compare(Buffer.from(k), Buffer.from(after)) > 0)
      .sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    const page = keys.slice(0, Math.min(maxKeys, 1000));
    const truncated = keys.length > page.length;
    const contents = page
      .map((k) => {
        const o = store.get(k)!;
        return `<Contents><Key>${xmlEscape(k)}</Key><LastModified>${o.lastModified.toISOString()}</LastModified><ETag>${xmlEscape(o.etag)}</ETag><Size>${o.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
      })
      .join('');
    const next = truncated
      ? `<NextContinuationToken>${Buffer.from(page.at(-1)!, 'utf8').toString('base64url')}</NextContinuationToken>`
      : '';
    const cont = token !== undefined ? `<ContinuationToken>${xmlEscape(token)}</ContinuationToken>` : '';
    const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(prefix)}</Prefix>${cont}<KeyCount>${page.length}</KeyCount><MaxKeys>${maxKeys}</MaxKeys><IsTruncated>${truncated}</IsTruncated>${contents}${next}</ListBucketResult>`;
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(xml);
  }

  /** POST /<bucket>?delete: up to 1,000 keys; S3 requires Content-MD5 or a checksum on it. */
  async function deleteObjects(
    req: IncomingMessage,
    res: ServerResponse,
    store: Map<string, StoredObject>,
    a: Authenticated,
  ): Promise<void> {
    const integrity = bodyIntegrity(a);
    if (a.headers('content-md5') === undefined && ![...integrity.wanted.keys()].some((k) => k !== 'payload'))
      throw new S3Error(
        400,
        'InvalidRequest',
        'Missing required header for this request: Content-MD5 or x-amz-checksum-*',
      );
    const body = await readBody(req, 2 * 1024 * 1024, integrity.wanted);
    integrity.verify(body);
    const xml = body.bytes.toString('utf8');
    if (!/^\s*(<\?xml[^>]*\?>\s*)?<Delete[\s>]/.test(xml) || !/<\/Delete>\s*$/.test(xml))
      throw new S3Error(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema.',
      );
    const quiet = /<Quiet>\s*true\s*<\/Quiet>/.test(xml);
    const keys = [...xml.matchAll(/<Object>\s*<Key>([^<]*)<\/Key>/g)].map((m) => xmlUnescape(m[1]!));
    if (!keys.length || keys.length > 1000)
      throw new S3Error(
        400,
        'MalformedXML',
        'The XML you provided was not well-formed or did not validate against our published schema.',
      );
    for (const k of keys) store.delete(k);
    const deleted = quiet ? '' : keys.map((k) => `<Deleted><Key>${xmlEscape(k)}</Key></Deleted>`).join('');
    res.writeHead(200, { 'content-type': 'application/xml' });
    res.end(
      `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">${deleted}</DeleteResult>`,
    );
  }

  async function putObject(
    req: IncomingMessage,
    res: ServerResponse,
    store: Map<string, StoredObject>,
    key: string,
    a: Authenticated,
  ): Promise<void> {
    if (a.headers('x-amz-copy-source') !== undefined) {
      throw new S3Error(501, 'NotImplemented', 'CopyObject is not implemented here.');
    }
    const length = req.headers['content-length'];
    if (length === undefined)
      throw new S3Error(411, 'MissingContentLength', 'You must provide the Content-Length HTTP header.');
    const declared = Number(length);
    if (declared > maxObjectBytes) {
      throw new S3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
        ProposedSize: String(declared),
        MaxSizeAllowed: String(maxObjectBytes),
      });
    }
    if (Buffer.byteLength(key) > MAX_KEY_BYTES) {
      throw new S3Error(400, 'KeyTooLongError', 'Your key is too long', {
        Size: String(Buffer.byteLength(key)),
        MaxSizeAllowed: String(MAX_KEY_BYTES),
      });
    }
    const metadata: Record<string, string> = {};
    let metaBytes = 0;
    for (const name of a.names()) {
      if (!name.startsWith('x-amz-meta-')) continue;
      const v = headerSafe(name, a.headers(name) ?? '');
      const short = name.slice('x-amz-meta-'.length);
      metadata[short] = v;
      metaBytes += Buffer.byteLength(short) + Buffer.byteLength(v);
    }
    if (metaBytes > MAX_METADATA_BYTES) {
      throw new S3Error(
        400,
        'MetadataTooLarge',
        'Your metadata headers exceed the maximum allowed metadata size.',
        {
          Size: String(metaBytes),
          MaxSizeAllowed: String(MAX_METADATA_BYTES),
        },
      );
    }
    const integrity = bodyIntegrity(a);
    const body = await readBody(req, maxObjectBytes, integrity.wanted);
    if (body.bytes.length !== declared) {
      throw new S3Error(
        400,
        'IncompleteBody',
        'You did not provide the number of bytes specified by the Content-Length HTTP header.',
      );
    }
    integrity.verify(body);
    const headers: Record<string, string> = {};
    for (const h of STORED_HEADERS) {
      const v = a.headers(h);
      if (v !== undefined) headers[h] = v;
    }
    const etag = `"${body.md5.toString('hex')}"`;
    store.set(key, {
      body: body.bytes,
      contentType: a.headers('content-type') ?? 'binary/octet-stream',
      etag,
      lastModified: new Date(Math.floor(Date.now() / 1000) * 1000),
      metadata,
      headers,
    });
    res.writeHead(200, { etag, 'content-length': 0 });
    res.end();
  }

  function checkPayload(a: Authenticated, body: Body): void {
    if (!HEX64.test(a.payloadHash)) return;
    const computed = body.digests.get('payload')!.toString('hex');
    if (computed !== a.payloadHash) {
      throw new S3Error(
        400,
        'XAmzContentSHA256Mismatch',
        "The provided 'x-amz-content-sha256' header does not match what was computed.",
        {
          ClientComputedContentSHA256: a.payloadHash,
          S3ComputedContentSHA256: computed,
        },
      );
    }
  }

  async function route(req: IncomingMessage, res: ServerResponse, t: Target): Promise<void> {
    const method = req.method ?? '';
    const a = authenticate(req, t, Date.now());
    if (t.bucket && !t.key) {
      const store = buckets.get(t.bucket);
      if (!store)
        throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', {
          BucketName: t.bucket,
        });
      const has = (name: string) => t.params.some(([k]) => k === name);
      if (method === 'GET' && t.params.some(([k, v]) => k === 'list-type' && v === '2')) {
        checkPayload(
          a,
          await readBody(req, 1024 * 1024, new Map(HEX64.test(a.payloadHash) ? [['payload', 'sha256']] : [])),
        );
        return listObjectsV2(res, t.bucket, store, t.params);
      }
      if (method === 'POST' && has('delete')) return deleteObjects(req, res, store, a);
    }
    if (method !== 'PUT') {
      // GET, HEAD and DELETE carry no body, but a signed hash must still match what came.
      const wanted = new Map<string, 'sha256'>(HEX64.test(a.payloadHash) ? [['payload', 'sha256']] : []);
      checkPayload(a, await readBody(req, 1024 * 1024, wanted));
    }
    if (!t.bucket) throw new S3Error(501, 'NotImplemented', 'ListBuckets is not implemented here.');
    const store = buckets.get(t.bucket);
    if (!store)
      throw new S3Error(404, 'NoSuchBucket', 'The specified bucket does not exist', { BucketName: t.bucket });
    if (!t.key)
      throw new S3Error(
        501,
        'NotImplemented',
        `Bucket operations (${method} /${t.bucket}) are not implemented here.`,
      );
    const sub = t.params.find(
      ([k]) => !k.toLowerCase().startsWith('x-amz-') && k !== 'x-id' && !(k in RESPONSE_OVERRIDES),
    );
    if (sub) {
      throw new S3Error(
        501,
        'NotImplemented',
        `A parameter you provided implies functionality that is not implemented: ${sub[0]}`,
      );
    }
    switch (method) {
      case 'PUT':
        return putObject(req, res, store, t.key, a);
      case 'GET':
      case 'HEAD': {
        const obj = store.get(t.key);
        if (!obj) throw new S3Error(404, 'NoSuchKey', 'The specified key does not exist.', { Key: t.key });
        res.writeHead(200, objectHeaders(obj, t.params));
        res.end(method === 'GET' ? obj.body : undefined);
        return;
      }
      case 'DELETE':
        store.delete(t.key);
        res.writeHead(204);
        res.end();
        return;
      default:
        throw new S3Error(
          405,
          'MethodNotAllowed',
          'The specified method is not allowed against this resource.',
          {
            Method: method,
            ResourceType: 'OBJECT',
          },
        );
    }
  }

  function sendError(
    req: IncomingMessage,
    res: ServerResponse,
    t: Target | undefined,
    err: S3Error,
    requestId: string,
  ): void {
    const send = () => {
      if (res.headersSent || res.destroyed) return;
      if (req.method === 'HEAD') {
        res.writeHead(err.status);
        res.end();
        return;
      }
      const extra = Object.entries(err.extra)
        .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
        .join('');
      const resource = t ? (t.key === undefined ? `/${t.bucket}` : `/${t.bucket}/${t.key}`) : '';
      const xml = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${err.code}</Code><Message>${xmlEscape(err.message)}</Message>${extra}<Resource>${xmlEscape(resource)}</Resource><RequestId>${requestId}</RequestId></Error>`;
      res.writeHead(err.status, {
        'content-type': 'application/xml',
        'content-length': Buffer.byteLength(xml),
      });
      res.end(xml);
    };
    if (req.complete) return send();
    // Read what is left of the body so the connection stays usable (unless it is huge).
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > DRAIN_LIMIT) {
      res.shouldKeepAlive = false;
      send();
      return;
    }
    req.removeAllListeners('data');
    req.on('end', send);
    req.resume();
  }

  const server = createServer({ keepAliveTimeout: 30_000 }, (req, res) => {
    const requestId = (++requests).toString(16).padStart(16, '0').toUpperCase();
    res.setHeader('x-amz-request-id', requestId);
    let target: Target | undefined;
    const fail = (err: unknown) => {
      const e =
        err instanceof S3Error
          ? err
          : new S3Error(500, 'InternalError', 'We encountered an internal error. Please try again.');
      sendError(req, res, target, e, requestId);
    };
    try {
      target = parseTarget(req.url);
      route(req, res, target).catch(fail);
    } catch (err) {
      fail(err);
    }
  });
  // A request the HTTP parser cannot read: answer 400 and close, as node does by default.
  server.on('clientError', (_err, socket) => {
    if (socket.writable)
      socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    endpoint: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    region,
    credentials: { accessKeyId, secretAccessKey },
    objects: (bucket) => buckets.get(bucket),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
