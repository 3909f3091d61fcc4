import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { startLocalS3, type LocalS3 } from '../src/s3-local';
import {
  canonicalQuery,
  canonicalRequest,
  canonicalUri,
  credentialScope,
  EMPTY_SHA256,
  signature,
  signingKey,
  stringToSign,
  UNSIGNED_PAYLOAD,
} from '../src/s3-sigv4';

const BUCKET = 'scans';
const creds = { accessKeyId: 'LOCALKEY', secretAccessKey: 'local-secret' };
const MAX = 64 * 1024;

describe('SigV4 as AWS documents it', () => {
  // The examples of the Amazon S3 API reference ("Signature Calculations for the Authorization
  // Header" and "Authenticating Requests: Using Query Parameters"), with its example key pair.
  const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  const key = signingKey(secret, '20130524', 'us-east-1');
  const headers: Record<string, string[]> = {
    host: ['examplebucket.s3.amazonaws.com'],
    range: ['bytes=0-9'],
    'x-amz-content-sha256': [EMPTY_SHA256],
    'x-amz-date': ['20130524T000000Z'],
  };

  it('signs the GET Object example with the published signature', () => {
    const canonical = canonicalRequest({
      method: 'GET',
      uri: canonicalUri(['test.txt']),
      query: '',
      signedHeaders: ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'],
      headerValues: (n) => headers[n] ?? [],
      payloadHash: EMPTY_SHA256,
    });
    const toSign = stringToSign('20130524T000000Z', credentialScope('20130524', 'us-east-1'), canonical);
    expect(toSign.split('\n')[3]).toBe('7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972');
    expect(signature(key, toSign)).toBe('f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
  });

  it('signs the presigned URL example with the published signature', () => {
    const query = canonicalQuery([
      ['X-Amz-SignedHeaders', 'host'],
      ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
      ['X-Amz-Credential', 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request'],
      ['X-Amz-Expires', '86400'],
      ['X-Amz-Date', '20130524T000000Z'],
    ]);
    const canonical = canonicalRequest({
      method: 'GET',
      uri: '/test.txt',
      query,
      signedHeaders: ['host'],
      headerValues: (n) => headers[n] ?? [],
      payloadHash: UNSIGNED_PAYLOAD,
    });
    const toSign = stringToSign('20130524T000000Z', credentialScope('20130524', 'us-east-1'), canonical);
    expect(signature(key, toSign)).toBe('aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  });

  it('encodes path segments and query strings the RFC 3986 way', () => {
    expect(canonicalUri(['b', 'a b', 'ü+%!(x)*~.-_'])).toBe('/b/a%20b/%C3%BC%2B%25%21%28x%29%2A~.-_');
    expect(
      canonicalQuery([
        ['b', ''],
        ['a', 'x/y z'],
        ['A', '2'],
        ['a', 'w'],
      ]),
    ).toBe('A=2&a=w&a=x%2Fy%20z&b=');
  });
});

describe('startLocalS3', () => {
  let s3: LocalS3;
  let client: S3Client;
  const clients: S3Client[] = [];

  /** An SDK client for the server; one attempt, so a refusal is seen as it is. */
  function clientWith(config: Partial<S3ClientConfig> = {}): S3Client {
    const c = new S3Client({
      endpoint: s3.endpoint,
      region: 'us-east-1',
      forcePathStyle: true,
      credentials: creds,
      maxAttempts: 1,
      ...config,
    });
    clients.push(c);
    return c;
  }
  /** The scan service's presigner settings: no flexible checksums, type and length signed. */
  const presignPut = (c: S3Client, key: string, type: string, size: number, opts = {}) =>
    getSignedUrl(
      c,
      new PutObjectCommand({ Bucket: BUCKET, Key: key, ContentType: type, ContentLength: size }),
      {
        expiresIn: 600,
        signableHeaders: new Set(['content-type', 'content-length']),
        ...opts,
      },
    );
  const stored = (key: string) => s3.objects(BUCKET)!.has(key);
  const codeOf = (xml: string) => /<Code>([^<]*)<\/Code>/.exec(xml)?.[1];
  async function refusal(p: Promise<unknown>) {
    const err = (await p.then(
      () => {
        throw new Error('the request succeeded');
      },
      (e: unknown) => e,
    )) as { name: string; message: string; $metadata: { httpStatusCode: number } };
    return { status: err.$metadata.httpStatusCode, code: err.name, message: err.message };
  }
  async function raw(res: Promise<Response>) {
    const r = await res;
    const text = await r.text();
    return { status: r.status, code: codeOf(text), type: r.headers.get('content-type'), text };
  }

  beforeAll(async () => {
    s3 = await startLocalS3({ buckets: [BUCKET], credentials: creds, maxObjectBytes: MAX });
    client = clientWith({
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    });
  });
  afterAll(async () => {
    for (const c of clients) c.destroy();
    await s3.close();
  });

  it('puts, heads, gets and deletes an object with its type and metadata', async () => {
    const key = 'users/a b/ü+%!(x)*~/photo.jpg';
    const body = Buffer.from('not really a jpeg, but bytes all the same');
    // The default client: CRC32 checksums on the PUT, which the server verifies.
    const sdk = clientWith();
    const put = await sdk.send(
      new PutObjectCommand({
        Bucket: BUCKET,
        Key: key,
        Body: body,
        ContentType: 'image/jpeg',
        CacheControl: 'max-age=60',
        Metadata: { owner: 'alice', note: 'two words' },
      }),
    );
    const etag = `"${createHash('md5').update(body).digest('hex')}"`;
    expect(put.ETag).toBe(etag);

    const head = await client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head).toMatchObject({
      ContentType: 'image/jpeg',
      ContentLength: body.length,
      ETag: etag,
      CacheControl: 'max-age=60',
      Metadata: { owner: 'alice', note: 'two words' },
    });
    expect(Math.abs(head.LastModified!.getTime() - Date.now())).toBeLessThan(5000);

    const got = await sdk.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray())).toEqual(body);
    expect(got).toMatchObject({ ContentType: 'image/jpeg', ETag: etag, Metadata: { owner: 'alice' } });
    expect(s3.objects(BUCKET)!.get(key)).toMatchObject({ contentType: 'image/jpeg', etag, body });

    const del = await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(del.$metadata.httpStatusCode).toBe(204);
    // Deleting what is not there is not an error.
    const again = await client.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(again.$metadata.httpStatusCode).toBe(204);
    expect(stored(key)).toBe(false);
  });

  it('answers NoSuchKey, NoSuchBucket and NotImplemented the way the SDK maps them', async () => {
    expect(await refusal(client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'nothing/here' })))).toEqual(
      {
        status: 404,
        code: 'NoSuchKey',
        message: 'The specified key does not exist.',
      },
    );
    // HEAD answers carry no body: the SDK names the error after the status.
    expect(
      await refusal(client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'nothing/here' }))),
    ).toMatchObject({ status: 404, code: 'NotFound' });
    expect(
      await refusal(client.send(new GetObjectCommand({ Bucket: 'no-such-bucket', Key: 'k' }))),
    ).toMatchObject({
      status: 404,
      code: 'NoSuchBucket',
    });
    expect(
      await refusal(client.send(new PutObjectCommand({ Bucket: 'no-such-bucket', Key: 'k', Body: 'x' }))),
    ).toMatchObject({ status: 404, code: 'NoSuchBucket' });
    expect(
      await refusal(client.send(new ListObjectsV2Command({ Bucket: BUCKET, StartAfter: 'x', MaxKeys: -1 }))),
    ).toMatchObject({ status: 400 });
  });

  it('lists keys by prefix in pages and deletes many at once', async () => {
    const keys = ['list/u1/a', 'list/u1/b', 'list/u1/c d&e', 'list/u2/a'];
    for (const Key of keys) await client.send(new PutObjectCommand({ Bucket: BUCKET, Key, Body: Key }));
    const seen: string[] = [];
    let token: string | undefined;
    do {
      const page = await client.send(
        new ListObjectsV2Command({
          Bucket: BUCKET,
          Prefix: 'list/u1/',
          MaxKeys: 2,
          ContinuationToken: token,
        }),
      );
      expect(page.KeyCount).toBe(page.Contents?.length ?? 0);
      seen.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    expect(seen).toEqual(['list/u1/a', 'list/u1/b', 'list/u1/c d&e']);

    const r = await client.send(
      new DeleteObjectsCommand({
        Bucket: BUCKET,
        Delete: { Objects: seen.map((Key) => ({ Key })).concat([{ Key: 'list/u1/missing' }]) },
      }),
    );
    expect((r.Deleted ?? []).map((d) => d.Key).sort()).toEqual([...seen, 'list/u1/missing'].sort());
    const left = await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 'list/' }));
    expect((left.Contents ?? []).map((o) => o.Key)).toEqual(['list/u2/a']);
    // A bad continuation token is an error, not an empty page.
    expect(
      await refusal(client.send(new ListObjectsV2Command({ Bucket: BUCKET, ContinuationToken: '!!' }))),
    ).toMatchObject({ status: 400, code: 'InvalidArgument' });
  });

  it('serves a presigned GET and stores a presigned PUT with the signed type and size', async () => {
    const body = Buffer.from('presigned upload');
    const url = await presignPut(client, 'up/one', 'image/png', body.length);
    expect(new URL(url).searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'image/png', 'content-length': String(body.length) },
      body: new Uint8Array(body),
    });
    expect(put.status).toBe(200);
    expect(s3.objects(BUCKET)!.get('up/one')).toMatchObject({ contentType: 'image/png', body });

    const getUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: 'up/one' }), {
      expiresIn: 60,
    });
    const got = await fetch(getUrl);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(Buffer.from(await got.arrayBuffer())).toEqual(body);
    // Metadata the presigner moved into the query is stored as if it were headers.
    const withMeta = await getSignedUrl(
      client,
      new PutObjectCommand({ Bucket: BUCKET, Key: 'up/meta', Metadata: { owner: 'bob' } }),
    );
    expect(new URL(withMeta).searchParams.get('x-amz-meta-owner')).toBe('bob');
    // (a byte body: fetch gives a string one a Content-Type of its own)
    expect((await fetch(withMeta, { method: 'PUT', body: new Uint8Array([120]) })).status).toBe(200);
    expect(s3.objects(BUCKET)!.get('up/meta')).toMatchObject({
      metadata: { owner: 'bob' },
      contentType: 'binary/octet-stream',
    });
    // response-* overrides, signed into the URL.
    const asDownload = await getSignedUrl(
      client,
      new GetObjectCommand({ Bucket: BUCKET, Key: 'up/one', ResponseContentDisposition: 'attachment' }),
    );
    expect((await fetch(asDownload)).headers.get('content-disposition')).toBe('attachment');
  });

  it('refuses presigned PUTs that differ from what was signed, and stores nothing', async () => {
    const body = Buffer.from('0123456789');
    const send = async (url: string, headers: Record<string, string>, bytes: Buffer = body) =>
      raw(fetch(url, { method: 'PUT', headers, body: new Uint8Array(bytes) }));
    const ok = { 'content-type': 'image/jpeg' };

    // Another Content-Type than the signed one.
    const typeUrl = await presignPut(client, 'bad/type', 'image/jpeg', body.length);
    expect(await send(typeUrl, { 'content-type': 'image/png' })).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
      type: 'application/xml',
    });
    expect(stored('bad/type')).toBe(false);

    // More and fewer bytes than signed (each with its own, true Content-Length).
    const sizeUrl = await presignPut(client, 'bad/size', 'image/jpeg', body.length);
    expect(await send(sizeUrl, ok, Buffer.concat([body, body]))).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    expect(await send(sizeUrl, ok, body.subarray(0, 5))).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    expect(stored('bad/size')).toBe(false);

    // A tampered signature, and the signature of one key used for another.
    const url = new URL(await presignPut(client, 'bad/sig', 'image/jpeg', body.length));
    const sig = url.searchParams.get('X-Amz-Signature')!;
    url.searchParams.set('X-Amz-Signature', `${sig.slice(0, -1)}${sig.endsWith('0') ? '1' : '0'}`);
    expect(await send(url.toString(), ok)).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    const moved = new URL(await presignPut(client, 'bad/sig', 'image/jpeg', body.length));
    moved.pathname = `/${BUCKET}/bad/other`;
    expect(await send(moved.toString(), ok)).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });

    // Signed with a wrong secret, or by a key the server does not know.
    const wrongSecret = clientWith({ credentials: { ...creds, secretAccessKey: 'not-the-secret' } });
    expect(
      await send(await presignPut(wrongSecret, 'bad/secret', 'image/jpeg', body.length), ok),
    ).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    const unknown = clientWith({ credentials: { accessKeyId: 'SOMEONEELSE', secretAccessKey: 'x' } });
    expect(await send(await presignPut(unknown, 'bad/key', 'image/jpeg', body.length), ok)).toMatchObject({
      status: 403,
      code: 'InvalidAccessKeyId',
    });

    // Signed two hours ago for one minute.
    const expiredUrl = await presignPut(client, 'bad/expired', 'image/jpeg', body.length, {
      expiresIn: 60,
      signingDate: new Date(Date.now() - 2 * 3600_000),
    });
    const expired = await send(expiredUrl, ok);
    expect(expired).toMatchObject({ status: 403, code: 'AccessDenied' });
    expect(expired.text).toContain('<Message>Request has expired</Message>');

    // A header the uploader added that the signature does not cover.
    expect(
      await send(await presignPut(client, 'bad/meta', 'image/jpeg', body.length), {
        ...ok,
        'x-amz-meta-x': '1',
      }),
    ).toMatchObject({ status: 403, code: 'AccessDenied' });

    // A presigned PUT from a client with flexible checksums carries the CRC32 of an empty body.
    const withChecksum = await presignPut(clientWith(), 'bad/crc', 'image/jpeg', body.length);
    expect(new URL(withChecksum).searchParams.get('x-amz-checksum-crc32')).toBe('AAAAAA==');
    expect(await send(withChecksum, ok)).toMatchObject({ status: 400, code: 'BadDigest' });

    for (const k of ['bad/sig', 'bad/other', 'bad/secret', 'bad/key', 'bad/expired', 'bad/meta', 'bad/crc'])
      expect([k, stored(k)]).toEqual([k, false]);
    // The right request still works.
    expect(await send(await presignPut(client, 'good', 'image/jpeg', body.length), ok)).toMatchObject({
      status: 200,
    });
    expect(stored('good')).toBe(true);
  });

  it('refuses header-signed requests with a wrong secret, an unknown key, a bad signature or a skewed clock', async () => {
    const put = (c: S3Client, key: string) =>
      c.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'abc', ContentType: 'text/plain' }));
    expect(
      await refusal(put(clientWith({ credentials: { ...creds, secretAccessKey: 'wrong' } }), 'h/1')),
    ).toMatchObject({
      status: 403,
      code: 'SignatureDoesNotMatch',
    });
    expect(
      await refusal(put(clientWith({ credentials: { accessKeyId: 'NOPE', secretAccessKey: 'x' } }), 'h/2')),
    ).toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
    // Signed for another region.
    expect(await refusal(put(clientWith({ region: 'eu-west-1' }), 'h/3'))).toMatchObject({
      status: 400,
      code: 'AuthorizationHeaderMalformed',
    });
    // The SDK corrects its clock from a RequestTimeTooSkewed answer when it may retry; here it may not.
    // A session token, which no key pair here has.
    expect(
      await refusal(put(clientWith({ credentials: { ...creds, sessionToken: 'session' } }), 'h/7')),
    ).toMatchObject({ status: 403, code: 'InvalidToken' });
    expect(await refusal(put(clientWith({ systemClockOffset: -20 * 60_000 }), 'h/4'))).toMatchObject({
      status: 403,
      code: 'RequestTimeTooSkewed',
    });

    // Changed after signing: the signature itself, and the body under a signed SHA-256.
    const tampered = clientWith();
    let change: (req: { headers: Record<string, string>; body: unknown }) => void = () => {};
    tampered.middlewareStack.add(
      (next) => async (args) => {
        change((args as unknown as { request: { headers: Record<string, string>; body: unknown } }).request);
        return next(args);
      },
      { step: 'deserialize', name: 'tamperAfterSigning' },
    );
    change = (req) => {
      req.headers.authorization = req.headers.authorization!.replace(/Signature=[0-9a-f]/, 'Signature=x');
    };
    expect(await refusal(put(tampered, 'h/5'))).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    change = (req) => {
      expect(req.headers['x-amz-content-sha256']).toMatch(/^[0-9a-f]{64}$/);
      req.body = 'abd';
    };
    expect(await refusal(put(tampered, 'h/6'))).toMatchObject({
      status: 400,
      code: 'XAmzContentSHA256Mismatch',
    });
    for (const k of ['h/1', 'h/2', 'h/3', 'h/4', 'h/5', 'h/6', 'h/7'])
      expect([k, stored(k)]).toEqual([k, false]);
  });

  it('answers 400 EntityTooLarge above maxObjectBytes, on a connection that stays usable', async () => {
    const big = Buffer.alloc(MAX + 1, 1);
    expect(
      await refusal(client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big', Body: big }))),
    ).toMatchObject({
      status: 400,
      code: 'EntityTooLarge',
    });
    expect(stored('big')).toBe(false);
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'big', Body: big.subarray(0, MAX) }));
    expect(s3.objects(BUCKET)!.get('big')!.body.length).toBe(MAX);
  });

  it('answers malformed requests with S3 errors and keeps serving', async () => {
    const at = `${s3.endpoint}/${BUCKET}/some/key`;
    const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
    const signedShape = `AWS4-HMAC-SHA256 Credential=${creds.accessKeyId}/${amzDate.slice(0, 8)}/us-east-1/s3/aws4_request, SignedHeaders=host;x-amz-content-sha256;x-amz-date, Signature=${'0'.repeat(64)}`;
    const cases: [RequestInit & { url?: string }, number, string][] = [
      [{ headers: { authorization: 'garbage' } }, 400, 'InvalidArgument'],
      [{ headers: { authorization: 'AWS4-HMAC-SHA256 garbage, more' } }, 400, 'AuthorizationHeaderMalformed'],
      [
        { headers: { authorization: 'AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=0' } },
        400,
        'AuthorizationHeaderMalformed',
      ],
      [{ headers: { authorization: 'AWS LOCALKEY:c2lnbmF0dXJl' } }, 400, 'InvalidRequest'],
      [
        {
          headers: {
            authorization: signedShape,
            'x-amz-date': 'yesterday',
            'x-amz-content-sha256': EMPTY_SHA256,
          },
        },
        403,
        'AccessDenied',
      ],
      [
        {
          headers: {
            authorization: signedShape,
            'x-amz-date': '20251340T256100Z',
            'x-amz-content-sha256': EMPTY_SHA256,
          },
        },
        403,
        'AccessDenied',
      ],
      [{ headers: { authorization: signedShape, 'x-amz-date': amzDate } }, 400, 'InvalidRequest'],
      [
        { headers: { authorization: signedShape, 'x-amz-date': amzDate, 'x-amz-content-sha256': 'nope' } },
        400,
        'InvalidArgument',
      ],
      [
        {
          headers: {
            authorization: signedShape,
            'x-amz-date': amzDate,
            'x-amz-content-sha256': EMPTY_SHA256,
          },
        },
        403,
        'SignatureDoesNotMatch',
      ],
      [{}, 403, 'AccessDenied'],
      [{ url: `${s3.endpoint}/${BUCKET}/bad%E0%A4%A` }, 400, 'InvalidURI'],
      [
        { url: `${at}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Date=soon` },
        400,
        'AuthorizationQueryParametersError',
      ],
      [
        {
          url: `${at}?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=${creds.accessKeyId}%2F20250101%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=not-a-date&X-Amz-Expires=60&X-Amz-SignedHeaders=host&X-Amz-Signature=00`,
        },
        400,
        'AuthorizationQueryParametersError',
      ],
      [{ url: `${at}?X-Amz-Signature=1`, headers: { authorization: signedShape } }, 400, 'InvalidArgument'],
    ];
    for (const [init, status, code] of cases) {
      const r = await raw(fetch(init.url ?? at, init));
      expect([init, r.status, r.code, r.type]).toEqual([init, status, code, 'application/xml']);
    }

    // Bytes that are not HTTP at all.
    const reply = await new Promise<string>((resolve, reject) => {
      let text = '';
      const sock = connect(s3.port, '127.0.0.1', () => sock.write('NOT HTTP AT ALL\r\n\r\n'));
      sock.on('data', (d) => (text += d.toString()));
      sock.on('close', () => resolve(text));
      sock.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);

    // A body cut short of its Content-Length (the client hangs up): nothing is stored.
    const url = new URL(await presignPut(client, 'cut/short', 'image/jpeg', 100));
    await new Promise<void>((resolve, reject) => {
      const sock = connect(s3.port, '127.0.0.1', () => {
        sock.write(
          `PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: image/jpeg\r\n` +
            `Content-Length: 100\r\n\r\n${'x'.repeat(50)}`,
        );
        setTimeout(() => sock.end(), 50);
      });
      sock.on('data', () => {});
      sock.on('close', () => resolve());
      sock.on('error', reject);
    });
    expect(stored('cut/short')).toBe(false);

    // Still serving.
    await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'after', Body: 'fine' }));
    const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'after' }));
    expect(await got.Body!.transformToString()).toBe('fine');
  });

  it('checks its options once, naming every problem', async () => {
    await expect(
      startLocalS3({
        buckets: ['Bad_Name', 'ok-bucket'],
        credentials: { accessKeyId: '', secretAccessKey: '' },
        maxObjectBytes: -1,
      }),
    ).rejects.toThrow(
      /bucket "Bad_Name" is not a valid S3 bucket name.*accessKeyId.*secretAccessKey.*maxObjectBytes -1/,
    );
  });
});

describe('the local S3 server as a process (s3-local-main)', () => {
  const main = join(__dirname, '..', 'src', 's3-local-main.ts');
  const run = (env: Record<string, string>) =>
    spawn(process.execPath, ['--conditions=development', '--import', 'tsx', main], {
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  const exited = (child: ReturnType<typeof run>) =>
    new Promise<number | null>((r) => child.once('exit', (code) => r(code)));

  it('names its endpoint on stdout, serves S3 with the given key pair, and stops on SIGTERM', async () => {
    const child = run({
      LOCAL_S3_BUCKETS: BUCKET,
      LOCAL_S3_ACCESS_KEY_ID: creds.accessKeyId,
      LOCAL_S3_SECRET_ACCESS_KEY: creds.secretAccessKey,
    });
    const done = exited(child);
    const endpoint = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (c: Buffer) => {
        out += c.toString();
        if (out.includes('\n')) resolve((JSON.parse(out.split('\n')[0]!) as { endpoint: string }).endpoint);
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}`)));
    });
    const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials: creds });
    try {
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'a.txt', Body: 'hello' }));
      const got = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a.txt' }));
      expect(await got.Body!.transformToString()).toBe('hello');
      const wrong = new S3Client({
        endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        credentials: { ...creds, secretAccessKey: 'not-it' },
      });
      await expect(wrong.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'a.txt' }))).rejects.toMatchObject({
        $metadata: { httpStatusCode: 403 },
      });
      wrong.destroy();
    } finally {
      client.destroy();
      child.kill('SIGTERM');
    }
    expect(await done).toBe(0);
  });

  it('refuses to start without a bucket or with a bad port: exit code 2 and the reason', async () => {
    for (const [env, reason] of [
      [{ LOCAL_S3_ACCESS_KEY_ID: 'K', LOCAL_S3_SECRET_ACCESS_KEY: 'S' }, /LOCAL_S3_BUCKETS/],
      [
        {
          LOCAL_S3_BUCKETS: BUCKET,
          LOCAL_S3_ACCESS_KEY_ID: 'K',
          LOCAL_S3_SECRET_ACCESS_KEY: 'S',
          LOCAL_S3_PORT: 'x',
        },
        /LOCAL_S3_PORT/,
      ],
    ] as const) {
      const child = run(env);
      let err = '';
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      expect(await exited(child)).toBe(2);
      expect(err).toMatch(reason);
    }
  });
});
