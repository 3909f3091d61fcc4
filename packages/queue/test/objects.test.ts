// The lean S3 client: its signature against AWS's published example, and every call against the
// local S3 server, which checks SigV4 signatures as S3 does.
import { startLocalS3, type LocalS3 } from '@hybrid/tools/s3-local';
import { encodeKeyPath, ObjectStore, ObjectTooLargeError, S3RequestError, signV4 } from '../src/index';

describe('signV4', () => {
  it("matches AWS's example: GET Object with a Range header", () => {
    // "Example: GET Object" of the S3 SigV4 documentation (Authorization header).
    const auth = signV4(
      {
        method: 'GET',
        path: '/test.txt',
        region: 'us-east-1',
        headers: {
          host: 'examplebucket.s3.amazonaws.com',
          range: 'bytes=0-9',
          'x-amz-content-sha256': 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
          'x-amz-date': '20130524T000000Z',
        },
        amzDate: '20130524T000000Z',
        payloadHash: 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
      },
      { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    );
    expect(auth).toBe(
      'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, ' +
        'SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, ' +
        'Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41',
    );
  });

  it('encodes keys as SigV4 wants: unreserved characters and slashes kept, the rest percent-encoded', () => {
    expect(encodeKeyPath("scans/a b/it's(1)*~.jpg")).toBe('scans/a%20b/it%27s%281%29%2A~.jpg');
    expect(encodeKeyPath('사진/ü')).toBe('%EC%82%AC%EC%A7%84/%C3%BC');
  });
});

describe('ObjectStore against the local S3 server', () => {
  const credentials = { accessKeyId: 'OBJECTSTESTKEY', secretAccessKey: 'objects-test-secret' };
  let s3: LocalS3;
  let store: ObjectStore;
  const open = (secret = credentials.secretAccessKey) =>
    new ObjectStore({
      endpoint: s3.endpoint,
      region: s3.region,
      bucket: 'objects-test',
      credentials: async () => ({ ...credentials, secretAccessKey: secret }),
    });

  beforeAll(async () => {
    s3 = await startLocalS3({ buckets: ['objects-test'], credentials });
    store = open();
  });
  afterAll(async () => {
    store?.close();
    await s3?.close();
  });

  it('puts, heads, gets and deletes an object', async () => {
    const body = Buffer.from('a photo, more or less', 'utf8');
    await store.put('scans/u1/s1/image', body, 'image/jpeg');
    const stored = s3.objects('objects-test')!.get('scans/u1/s1/image')!;
    expect(stored.body.equals(body)).toBe(true);
    expect(stored.contentType).toBe('image/jpeg');
    expect(await store.head('scans/u1/s1/image')).toEqual({ size: body.length, contentType: 'image/jpeg' });
    expect((await store.get('scans/u1/s1/image')).equals(body)).toBe(true);
    await store.delete('scans/u1/s1/image');
    expect(s3.objects('objects-test')!.has('scans/u1/s1/image')).toBe(false);
    // Deleting again succeeds, as in S3.
    await store.delete('scans/u1/s1/image');
  });

  it('uploads a body given in parts as one object, signed over all of it', async () => {
    const parts = [Buffer.from('\xff\xd8head', 'latin1'), Buffer.alloc(40000, 7), Buffer.from('tail')];
    await store.put('parts', parts, 'image/jpeg');
    expect(s3.objects('objects-test')!.get('parts')!.body.equals(Buffer.concat(parts))).toBe(true);
  });

  it('presigns a PUT that S3 takes only with the signed type and length', async () => {
    const body = Buffer.alloc(1000, 3);
    const url = await store.presignPut('scans/u2/s2/upload', 'image/png', body.length, 60);
    const put = (type: string, data: Buffer) =>
      fetch(url, { method: 'PUT', headers: { 'content-type': type }, body: new Uint8Array(data) });
    expect((await put('image/jpeg', body)).status).toBe(403);
    expect((await put('image/png', Buffer.alloc(999, 3))).status).toBe(403);
    expect(s3.objects('objects-test')!.has('scans/u2/s2/upload')).toBe(false);
    expect((await put('image/png', body)).status).toBe(200);
    expect(s3.objects('objects-test')!.get('scans/u2/s2/upload')!.body.equals(body)).toBe(true);
  });

  it('tells a missing object apart: null from head, a 404 error from get', async () => {
    expect(await store.head('nothing/here')).toBeNull();
    const err = (await store.get('nothing/here').catch((e: unknown) => e)) as S3RequestError;
    expect(err).toBeInstanceOf(S3RequestError);
    expect(err.status).toBe(404);
    expect(err.$metadata.httpStatusCode).toBe(404);
    expect(err.code).toBe('NoSuchKey');
  });

  it('stops reading an object larger than allowed', async () => {
    await store.put('big', Buffer.alloc(64 * 1024, 1), 'application/octet-stream');
    await expect(store.get('big', { maxBytes: 1024 })).rejects.toBeInstanceOf(ObjectTooLargeError);
    expect((await store.get('big', { maxBytes: 64 * 1024 })).length).toBe(64 * 1024);
  });

  it('is refused with a wrong secret, and stores nothing', async () => {
    const wrong = open('not-the-secret');
    try {
      const err = (await wrong
        .put('forged', Buffer.from('x'), 'text/plain')
        .catch((e: unknown) => e)) as S3RequestError;
      expect(err).toBeInstanceOf(S3RequestError);
      expect(err.status).toBe(403);
      expect(err.code).toBe('SignatureDoesNotMatch');
      expect(s3.objects('objects-test')!.has('forged')).toBe(false);
    } finally {
      wrong.close();
    }
  });
});
