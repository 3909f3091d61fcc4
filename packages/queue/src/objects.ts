import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';

/**
 * A small S3 client for the pipeline's per-scan object calls (GET, PUT, HEAD, DELETE of one
 * object), signed with AWS Signature Version 4 in the Authorization header, over keep-alive
 * connections, path-style (`<endpoint>/<bucket>/<key>`).
 *
 * Why not the AWS SDK here: in `pnpm bench scan` the SDK's middleware stack, endpoint rules and
 * signer took more CPU in worker-storage than sharp's decode and thumbnail. The SDK stays for the
 * rest (presigned URLs, listing, batch deletes) and supplies the credentials, so instance roles and
 * their refresh work as before.
 */

export interface S3Credentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

export interface ObjectStoreOptions {
  /** `http(s)://host[:port]`, as for the SDK with `forcePathStyle`. */
  readonly endpoint: string;
  readonly region: string;
  readonly bucket: string;
  /** Called per request; a provider that caches and refreshes (the SDK's) is expected. */
  readonly credentials: () => Promise<S3Credentials>;
  /** A request with no progress for this long fails. @default 30000 */
  readonly timeoutMs?: number;
}

/** An error answer from S3, with the status where the SDK's errors keep it. */
export class S3RequestError extends Error {
  readonly $metadata: { readonly httpStatusCode: number };
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'S3RequestError';
    this.$metadata = { httpStatusCode: status };
  }
}

/** GET found an object larger than the caller allows (it stops reading at that point). */
export class ObjectTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`the object is larger than ${maxBytes} bytes`);
    this.name = 'ObjectTooLargeError';
  }
}

const EMPTY_SHA256 = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const sha256Parts = (parts: readonly Buffer[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};
const hmac = (key: string | Buffer, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it: everything but unreserved characters (`!'()*` too). */
const encodeRfc3986 = (v: string) =>
  encodeURIComponent(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** An object key (or bucket) as a SigV4 path: each segment encoded, `/` kept. */
export function encodeKeyPath(key: string): string {
  return key.split('/').map(encodeRfc3986).join('/');
}

export interface SignInput {
  readonly method: string;
  /** Already encoded (see `encodeKeyPath`). */
  readonly path: string;
  /** The canonical query string (encoded, sorted by name); none by default. */
  readonly query?: string;
  /** Header names lower case; must include `host`. */
  readonly headers: Readonly<Record<string, string>>;
  /** `x-amz-date` (ISO 8601 basic). */
  readonly amzDate: string;
  /** Hex SHA-256 of the body, or `UNSIGNED-PAYLOAD`. */
  readonly payloadHash: string;
  readonly region: string;
  readonly service?: string;
}

/** Derived signing keys by secret and scope (one per day, region and service). */
const signingKeys = new Map<string, KeyObject>();

/** The SigV4 credential scope and signature of a request. */
function sign(
  req: SignInput,
  creds: S3Credentials,
): { scope: string; signedHeaders: string; signature: string } {
  const service = req.service ?? 's3';
  const amzDate = req.amzDate;
  const day = amzDate.slice(0, 8);
  const names = Object.keys(req.headers).sort();
  const canonicalHeaders = names.map((n) => `${n}:${req.headers[n]!.trim().replace(/\s+/g, ' ')}\n`).join('');
  const signedHeaders = names.join(';');
  const canonical = [
    req.method,
    req.path,
    req.query ?? '',
    canonicalHeaders,
    signedHeaders,
    req.payloadHash,
  ].join('\n');
  const scope = `${day}/${req.region}/${service}/aws4_request`;
  const toSign = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(canonical)}`;
  // The derived key changes once a day per secret and region: derived once, not per request.
  const cacheKey = `${creds.secretAccessKey}\n${scope}`;
  let key = signingKeys.get(cacheKey);
  if (!key) {
    // Kept as a KeyObject: createHmac checks a Buffer key the slow way on every call.
    key = createSecretKey(
      hmac(hmac(hmac(hmac(`AWS4${creds.secretAccessKey}`, day), req.region), service), 'aws4_request'),
    );
    if (signingKeys.size > 16) signingKeys.clear();
    signingKeys.set(cacheKey, key);
  }
  return { scope, signedHeaders, signature: createHmac('sha256', key).update(toSign).digest('hex') };
}

/** The SigV4 `Authorization` header value. */
export function signV4(req: SignInput, creds: S3Credentials): string {
  const { scope, signedHeaders, signature } = sign(req, creds);
  return `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${scope}, SignedHeaders=${signedHeaders}, Signature=${signature}`;
}

const amzDateOf = (d: Date) =>
  d
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class ObjectStore {
  private readonly url: URL;
  private readonly agent: http.Agent;
  private readonly send: typeof http.request;
  private readonly timeoutMs: number;

  constructor(private readonly opts: ObjectStoreOptions) {
    this.url = new URL(opts.endpoint);
    const secure = this.url.protocol === 'https:';
    this.agent = secure
      ? new https.Agent({ keepAlive: true, maxSockets: 64 })
      : new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.send = secure ? https.request : http.request;
    this.timeoutMs = opts.timeoutMs ?? 30000;
  }

  /** The object's bytes; `S3RequestError` 404 when it is missing. */
  async get(key: string, opts: { maxBytes?: number } = {}): Promise<Buffer> {
    const a = await this.call('GET', key, undefined, undefined, opts.maxBytes);
    return a.body;
  }

  /** `body` may be given in parts (written one after another, never joined). */
  async put(key: string, body: Buffer | readonly Buffer[], contentType: string): Promise<void> {
    await this.call('PUT', key, Array.isArray(body) ? body : [body as Buffer], contentType);
  }

  /** Size and type, or null when there is no such object. */
  async head(key: string): Promise<{ size: number; contentType: string | undefined } | null> {
    try {
      const a = await this.call('HEAD', key);
      return { size: Number(a.headers['content-length'] ?? 0), contentType: a.headers['content-type'] };
    } catch (err) {
      if (err instanceof S3RequestError && err.status === 404) return null;
      throw err;
    }
  }

  /** Deleting a missing object succeeds, as in S3. */
  async delete(key: string): Promise<void> {
    await this.call('DELETE', key);
  }

  /**
   * A presigned PUT URL (query-string SigV4) that S3 accepts only with exactly this Content-Type
   * and Content-Length, until `expiresInSec` from now; the body is not signed.
   */
  async presignPut(key: string, contentType: string, size: number, expiresInSec: number): Promise<string> {
    const creds = await this.opts.credentials();
    const amzDate = amzDateOf(new Date());
    const path = this.pathOf(key);
    const headers = { 'content-length': String(size), 'content-type': contentType, host: this.url.host };
    const scope = `${amzDate.slice(0, 8)}/${this.opts.region}/s3/aws4_request`;
    const params: [string, string][] = [
      ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
      ['X-Amz-Content-Sha256', 'UNSIGNED-PAYLOAD'],
      ['X-Amz-Credential', `${creds.accessKeyId}/${scope}`],
      ['X-Amz-Date', amzDate],
      ['X-Amz-Expires', String(expiresInSec)],
      ...(creds.sessionToken ? [['X-Amz-Security-Token', creds.sessionToken] as [string, string]] : []),
      ['X-Amz-SignedHeaders', Object.keys(headers).sort().join(';')],
    ];
    const query = params
      .map(([k, v]) => `${encodeRfc3986(k)}=${encodeRfc3986(v)}`)
      .sort()
      .join('&');
    const { signature } = sign(
      {
        method: 'PUT',
        path,
        query,
        headers,
        amzDate,
        payloadHash: 'UNSIGNED-PAYLOAD',
        region: this.opts.region,
      },
      creds,
    );
    return `${this.url.protocol}//${this.url.host}${path}?${query}&X-Amz-Signature=${signature}`;
  }

  close(): void {
    this.agent.destroy();
  }

  private pathOf(key: string): string {
    return `${this.url.pathname.replace(/\/$/, '')}/${encodeKeyPath(this.opts.bucket)}/${encodeKeyPath(key)}`;
  }

  /** One retry, after 100 ms, on a dropped connection or a 5xx (every call here is idempotent). */
  private async call(
    method: string,
    key: string,
    body?: readonly Buffer[],
    contentType?: string,
    maxBytes?: number,
  ): Promise<Answer> {
    for (let attempt = 1; ; attempt++) {
      try {
        const a = await this.once(method, key, body, contentType, maxBytes);
        if (a.status >= 200 && a.status < 300) return a;
        throw errorOf(method, key, a);
      } catch (err) {
        const retry =
          attempt < 2 &&
          !(err instanceof ObjectTooLargeError) &&
          (!(err instanceof S3RequestError) || err.status >= 500);
        if (!retry) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  private async once(
    method: string,
    key: string,
    body: readonly Buffer[] | undefined,
    contentType: string | undefined,
    maxBytes: number | undefined,
  ): Promise<Answer> {
    const creds = await this.opts.credentials();
    const path = this.pathOf(key);
    const amzDate = amzDateOf(new Date());
    const payloadHash = body ? sha256Parts(body) : EMPTY_SHA256;
    const headers: Record<string, string> = {
      host: this.url.host,
      'x-amz-date': amzDate,
      'x-amz-content-sha256': payloadHash,
    };
    if (body) headers['content-length'] = String(body.reduce((n, b) => n + b.length, 0));
    if (contentType) headers['content-type'] = contentType;
    if (creds.sessionToken) headers['x-amz-security-token'] = creds.sessionToken;
    headers.authorization = signV4(
      { method, path, headers, amzDate, payloadHash, region: this.opts.region },
      creds,
    );
    return new Promise<Answer>((resolve, reject) => {
      const req = this.send(
        {
          protocol: this.url.protocol,
          hostname: this.url.hostname,
          port: this.url.port,
          method,
          path,
          headers,
          agent: this.agent,
          timeout: this.timeoutMs,
        },
        (res) => {
          const declared = Number(res.headers['content-length'] ?? NaN);
          const ok = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
          if (ok && maxBytes !== undefined && declared > maxBytes) {
            res.destroy();
            return reject(new ObjectTooLargeError(maxBytes));
          }
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (c: Buffer) => {
            size += c.length;
            if (ok && maxBytes !== undefined && size > maxBytes) {
              res.destroy();
              return reject(new ObjectTooLargeError(maxBytes));
            }
            chunks.push(c);
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              headers: res.headers,
              body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`S3 ${method} timed out after ${this.timeoutMs} ms`)));
      req.on('error', reject);
      for (const part of body ?? []) req.write(part);
      req.end();
    });
  }
}

/** S3's XML error (`<Code>`, `<Message>`), or the status alone (HEAD answers have no body). */
function errorOf(method: string, key: string, a: Answer): S3RequestError {
  const text = a.body.toString('utf8');
  const code = /<Code>([^<]*)<\/Code>/.exec(text)?.[1] ?? (a.status === 404 ? 'NotFound' : `HTTP${a.status}`);
  const message = /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? '';
  return new S3RequestError(
    a.status,
    code,
    `S3 ${method} ${key}: ${a.status} ${code}${message ? ` ${message}` : ''}`,
  );
}
