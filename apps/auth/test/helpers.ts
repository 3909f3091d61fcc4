import { catalog } from '@hybrid/catalog';
import {
  createTestDatabase,
  dropTopology,
  testUrls,
  uniqueName,
  type TestDatabase,
} from '@hybrid/tools/test-env';
import { buildService, type BuiltService, type Logger } from '@hybrid/service-kit';
import { Redis } from 'ioredis';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { authService } from '../src/app';

/** A fresh private JWK of the given algorithm, with a kid. */
export async function privateJwk(alg: 'EdDSA' | 'ES256', kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg };
}

export interface AuthFixture {
  readonly svc: BuiltService;
  readonly db: TestDatabase;
  /** Redis key prefix of this auth instance (its denylist lives under it). */
  readonly prefix: string;
  /** QUEUE_PREFIX of this auth instance: its account events go to `<queuePrefix>x.account`. */
  readonly queuePrefix: string;
  readonly redis: Redis;
  readonly keys: JWK[];
  readonly env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

/**
 * An auth service on its own database, Redis prefix and RabbitMQ names, with an EdDSA signer and a
 * second (ES256) published key. `env.QUEUE_PREFIX` shares the RabbitMQ names of other services.
 */
export async function startAuth(
  label: string,
  env: NodeJS.ProcessEnv = {},
  options: { logger?: Logger } = {},
): Promise<AuthFixture> {
  const db = await createTestDatabase(label);
  const prefix = `${uniqueName(label)}:auth:`;
  const queuePrefix = env.QUEUE_PREFIX ?? `${uniqueName(label)}.`;
  const ownTopology = env.QUEUE_PREFIX === undefined;
  const keys = [await privateJwk('EdDSA', 'k-current'), await privateJwk('ES256', 'k-previous')];
  const fullEnv: NodeJS.ProcessEnv = {
    LOG_LEVEL: 'silent',
    DATABASE_URL: db.url,
    REDIS_URL: testUrls.redis,
    REDIS_KEY_PREFIX: prefix,
    JWT_SIGNING_KEYS: JSON.stringify(keys),
    TRUSTED_PROXY_HOPS: '1',
    LOGIN_MAX_FAILURES_PER_ACCOUNT: '3',
    LOGIN_MAX_ATTEMPTS_PER_IP: '20',
    AMQP_URL: testUrls.amqp,
    QUEUE_PREFIX: queuePrefix,
    OUTBOX_POLL_MS: '200',
    ...env,
  };
  let svc: BuiltService;
  try {
    svc = await buildService(authService, { env: fullEnv, ...options });
  } catch (err) {
    await db.drop();
    if (ownTopology) await dropTopology(catalog, queuePrefix);
    throw err;
  }
  const redis = new Redis(testUrls.redis);
  return {
    svc,
    db,
    prefix,
    queuePrefix,
    redis,
    keys,
    env: fullEnv,
    async close() {
      await svc.close();
      const left = await redis.keys(`${prefix}*`);
      if (left.length) await redis.del(...left);
      await redis.quit();
      await db.drop();
      if (ownTopology) await dropTopology(catalog, queuePrefix);
    },
  };
}

let ipCounter = 0;
/** A distinct client address for each call (sent as X-Forwarded-For), so tests do not share the per-IP limit. */
export const freshIp = () => {
  ipCounter += 1;
  return `198.18.${Math.floor(ipCounter / 250)}.${(ipCounter % 250) + 1}`;
};

export const STRONG_PASSWORD = 'correct horse battery staple';
