// Test set-up shared by the scan pipeline's tests: real PostgreSQL databases, a real RabbitMQ with
// names unique to the test file, S3 through the local S3 server on loopback (it verifies SigV4
// signatures, presigned URLs included), and a real JWKS endpoint.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { catalog } from '@hybrid/catalog';
import { createLogger, retryQueueName, runMigrations } from '@hybrid/service-kit';
import { imageKeys, type Topology } from '@hybrid/queue';
import { startLocalS3, type LocalS3 } from '@hybrid/tools/s3-local';
import { createTestDatabase, testUrls, uniqueName, type TestDatabase } from '@hybrid/tools/test-env';
import amqp from 'amqplib';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';
import pg from 'pg';
import sharp from 'sharp';

export const BUCKET = 'scan-test-images';
export const S3_CREDENTIALS = { accessKeyId: 'LOCALS3TESTKEY', secretAccessKey: 'local-s3-test-secret' };

/** The platform's queues with short retry delays, so a test sees every attempt in seconds. */
export const fastTopology: Topology = {
  exchanges: catalog.exchanges,
  queues: catalog.queues.map((q) => (q.retryDelaysMs.length ? { ...q, retryDelaysMs: [100, 200, 300] } : q)),
};

export interface Harness {
  prefix: string;
  scanDb: TestDatabase;
  characterDb: TestDatabase;
  infoDb: TestDatabase;
  s3: S3Client;
  /** The local S3 server: its endpoint, and its stored objects for direct checks. */
  s3Server: LocalS3;
  s3Endpoint: string;
  jwksUrl: string;
  token(userId: string): Promise<string>;
  /** Environment shared by the pipeline's services. */
  env(extra?: Record<string, string>): Record<string, string>;
  scanPool: pg.Pool;
  close(): Promise<void>;
}

export async function startHarness(label: string): Promise<Harness> {
  const prefix = `${uniqueName(label)}.`;
  const [scanDb, characterDb, infoDb] = await Promise.all([
    createTestDatabase(`${label}_scan`),
    createTestDatabase(`${label}_char`),
    createTestDatabase(`${label}_info`),
  ]);
  // The info service's real schema, with the worker-ai tests' data set in place of its seed.
  await runMigrations(
    infoDb.url,
    join(__dirname, '..', '..', 'info', 'migrations'),
    createLogger('test', 'silent'),
  );
  const info = new pg.Client({ connectionString: infoDb.url });
  await info.connect();
  await info.query(
    readFileSync(join(__dirname, '..', '..', 'worker-ai', 'test', 'fixtures', 'info-data.sql'), 'utf8'),
  );
  await info.end();

  const s3Server = await startLocalS3({
    buckets: [BUCKET],
    credentials: S3_CREDENTIALS,
    region: 'us-east-1',
  });
  const s3Endpoint = s3Server.endpoint;
  const s3 = new S3Client({
    endpoint: s3Endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: S3_CREDENTIALS,
  });

  const pair = await generateKeyPair('EdDSA', { extractable: true });
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA', use: 'sig' };
  const jwks: Server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ keys: [jwk] }));
  });
  await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
  const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks.json`;
  const scanPool = new pg.Pool({ connectionString: scanDb.url, max: 3 });

  return {
    prefix,
    scanDb,
    characterDb,
    infoDb,
    s3,
    s3Server,
    s3Endpoint,
    jwksUrl,
    scanPool,
    token: (userId) =>
      new SignJWT({})
        .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' })
        .setIssuer('waste-coach-auth')
        .setAudience('waste-coach')
        .setSubject(userId)
        .setJti(uniqueName('jti'))
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(pair.privateKey),
    env: (extra = {}) => ({
      LOG_LEVEL: 'silent',
      AMQP_URL: testUrls.amqp,
      QUEUE_PREFIX: prefix,
      AUTH_JWKS_URL: jwksUrl,
      AUTH_DENYLIST_URL: testUrls.redis,
      AUTH_DENYLIST_PREFIX: `${prefix}auth:`,
      IMAGES_BUCKET: BUCKET,
      S3_ENDPOINT: s3Endpoint,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: S3_CREDENTIALS.accessKeyId,
      S3_SECRET_ACCESS_KEY: S3_CREDENTIALS.secretAccessKey,
      MAX_UPLOAD_BYTES: String(400 * 1024),
      INFO_DATABASE_URL: infoDb.url,
      SHUTDOWN_TIMEOUT_MS: '3000',
      ...extra,
    }),
    async close() {
      await scanPool.end();
      await deleteTopology(prefix);
      s3.destroy();
      await s3Server.close();
      await new Promise((r) => jwks.close(r));
      await Promise.all([scanDb.drop(), characterDb.drop(), infoDb.drop()]);
    },
  };
}

/** Removes every exchange and queue the prefix named. */
export async function deleteTopology(prefix: string): Promise<void> {
  const conn = await amqp.connect(testUrls.amqp);
  const ch = await conn.createChannel();
  for (const q of catalog.queues) {
    await ch.deleteQueue(`${prefix}${q.name}`);
    for (const d of [...q.retryDelaysMs, 100, 200, 300])
      await ch.deleteQueue(`${prefix}${retryQueueName(q.name, d)}`);
  }
  for (const e of catalog.exchanges) await ch.deleteExchange(`${prefix}${e.name}`);
  await conn.close();
}

/** A photo-like JPEG (noise, so it does not compress away) with EXIF including a GPS position. */
/** A service logger (warnings and up) that also keeps every message it writes, for assertions. */
export function capturingLogger(name: string): { logger: ReturnType<typeof createLogger>; logged: string[] } {
  const logged: string[] = [];
  const logger = createLogger(name, 'warn', {
    hooks: {
      logMethod(args) {
        logged.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
      },
    },
  });
  return { logger, logged };
}

export async function jpegWithGps(width = 640, height = 480): Promise<Buffer> {
  const noise = Buffer.alloc(width * height * 3);
  let x = 12345;
  for (let i = 0; i < noise.length; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    noise[i] = (x >> 16) & 0xff;
  }
  return sharp(noise, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 80 })
    .withExif({
      IFD0: { Make: 'TestCam', Model: 'Scan 1' },
      IFD3: {
        GPSLatitudeRef: 'N',
        GPSLatitude: '37/1 33/1 59/1',
        GPSLongitudeRef: 'E',
        GPSLongitude: '126/1 58/1 41/1',
      },
    })
    .toBuffer();
}

export async function objectExists(s3: S3Client, key: string): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch {
    return false;
  }
}

export async function getObject(s3: S3Client, key: string): Promise<Buffer> {
  const r = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

export const putObject = (s3: S3Client, key: string, body: Buffer, type: string) =>
  s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body, ContentType: type }));
export const deleteObject = (s3: S3Client, key: string) =>
  s3.send(new DeleteObjectCommand({ Bucket: BUCKET, Key: key }));

/**
 * A scan row as the API leaves it after the upload (not submitted yet), with a small JPEG carrying
 * GPS at its upload key: what a worker test starts from.
 */
export async function uploadedScan(h: Harness, userId: string, label: string | null = null) {
  const id = randomUUID();
  const keys = imageKeys(userId, id);
  const photo = await jpegWithGps(64, 48);
  await putObject(h.s3, keys.upload, photo, 'image/jpeg');
  await h.scanPool.query(
    `INSERT INTO scans (id, user_id, label, content_type, declared_size, upload_key)
     VALUES ($1, $2, $3, 'image/jpeg', $4, $5)`,
    [id, userId, label, photo.length, keys.upload],
  );
  return { id, keys, photo };
}
