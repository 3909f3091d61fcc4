import { accountQueues } from '../queues';
import { imagesBucketBase } from '../environments';
import type { EnvContract, ResourceSpec, WorkloadSpec } from '../types';

/** What a service that checks users' access tokens needs (see the auth service). */
export const tokenVerifierEnv: EnvContract = {
  AUTH_JWKS_URL: {
    type: 'url',
    description: 'JWKS of the auth service, used to verify access tokens.',
    default: 'http://auth:8000/.well-known/jwks.json',
  },
  JWT_ISSUER: {
    type: 'string',
    description: 'Expected `iss` of access tokens.',
    default: 'waste-coach-auth',
  },
  JWT_AUDIENCE: { type: 'string', description: 'Expected `aud` of access tokens.', default: 'waste-coach' },
  AUTH_DENYLIST_URL: {
    type: 'url',
    description: "Redis URL of the auth service's database, where logged-out tokens are denylisted.",
    secret: true,
    required: true,
  },
  AUTH_DENYLIST_PREFIX: {
    type: 'string',
    description: 'Key prefix the auth service writes its denylist with.',
    default: 'auth:',
  },
};

/** RabbitMQ names are prefixed (per environment, or per test run). */
const queueEnv: EnvContract = {
  QUEUE_PREFIX: {
    type: 'string',
    description: 'Prefix of every RabbitMQ exchange and queue name (scan pipeline and account events).',
    default: '',
  },
};

const apiResources: ResourceSpec = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { cpu: '500m', memory: '256Mi' },
};

const api = (
  spec: Omit<WorkloadSpec, 'product' | 'kind' | 'cluster' | 'resources'> & { resources?: ResourceSpec },
): WorkloadSpec => ({
  product: 'waste-coach',
  kind: 'http',
  cluster: 'kubeadm',
  resources: apiResources,
  replicas: { min: 2, max: 4 },
  placement: { nodeRole: 'api' },
  ...spec,
});

export const auth = api({
  name: 'auth',
  description: 'Accounts, login, JWT issuing with refresh rotation, OAuth login, JWKS.',
  // Fixed so that the JWKS default of every token-checking service (tokenVerifierEnv) reaches it.
  port: 8000,
  env: {
    JWT_ISSUER: { type: 'string', description: '`iss` of issued tokens.', default: 'waste-coach-auth' },
    JWT_AUDIENCE: { type: 'string', description: '`aud` of issued tokens.', default: 'waste-coach' },
    ACCESS_TOKEN_TTL_SEC: {
      type: 'int',
      description: 'Access token lifetime.',
      default: '900',
      min: 60,
      max: 900,
    },
    REFRESH_TOKEN_TTL_SEC: {
      type: 'int',
      description: 'Refresh token lifetime.',
      default: '1209600',
      min: 3600,
      max: 7776000,
    },
    JWT_SIGNING_KEYS: {
      type: 'string',
      description: 'JSON array of private JWKs (EdDSA or ES256); the first signs, all verify.',
      required: true,
      secret: true,
    },
    ARGON2_MEMORY_KIB: { type: 'int', description: 'argon2id memory cost.', default: '19456', min: 19456 },
    ARGON2_TIME_COST: { type: 'int', description: 'argon2id iterations.', default: '2', min: 2 },
    ARGON2_PARALLELISM: { type: 'int', description: 'argon2id lanes.', default: '1', min: 1, max: 8 },
    LOGIN_WINDOW_SEC: {
      type: 'int',
      description: 'Window of the login and registration rate limits.',
      default: '900',
      min: 1,
      max: 86400,
    },
    LOGIN_MAX_FAILURES_PER_ACCOUNT: {
      type: 'int',
      description: 'Failed logins of one email per window before further attempts get 429.',
      default: '5',
      min: 1,
    },
    LOGIN_MAX_ATTEMPTS_PER_IP: {
      type: 'int',
      description: 'Login attempts from one client address per window before 429.',
      default: '50',
      min: 1,
    },
    REGISTER_MAX_PER_IP: {
      type: 'int',
      description: 'Registrations from one client address per window before 429.',
      default: '10',
      min: 1,
    },
    TRUSTED_PROXY_HOPS: {
      type: 'int',
      description:
        'Proxies in front of the service (the ALB): the client address is taken that many entries from the right of X-Forwarded-For; 0 uses the socket address.',
      default: '1',
      min: 0,
      max: 5,
    },
    OAUTH_PROVIDERS: {
      type: 'string',
      description:
        'JSON array of OAuth/OIDC providers: {"name","preset"?: "google"|"kakao"|"naver","clientId","clientSecret"?,"issuer"?,"authorizationEndpoint"?,"tokenEndpoint"?,"userinfoEndpoint"?,"jwksUri"?,"scopes"?,"tokenAuthMethod"?,"trustEmail"?}. Unset: no OAuth login.',
      secret: true,
    },
    ...queueEnv,
    OUTBOX_POLL_MS: {
      type: 'int',
      description:
        'How often pending account events are looked for in the outbox (each deletion also sends its own at once).',
      default: '2000',
      min: 50,
      max: 60000,
    },
    OAUTH_CALLBACK_BASE_URL: {
      type: 'url',
      description:
        'Public base URL of this service; provider callbacks go to <base>/api/v1/auth/oauth/<name>/callback.',
      default: 'http://localhost:8000',
    },
  },
  dependencies: {
    postgres: { server: 'postgres', database: 'auth' },
    redis: { server: 'redis', keyPrefix: 'auth:' },
    // Account deletions go out through an outbox table: login and tokens keep working while
    // RabbitMQ is away, and the events follow when it is back.
    amqp: {
      server: 'rabbitmq',
      consumes: [],
      publishes: accountQueues.map((q) => q.name),
      critical: false,
    },
  },
  resources: { requests: { cpu: '200m', memory: '192Mi' }, limits: { cpu: '1', memory: '384Mi' } },
});

export const my = api({
  name: 'my',
  description: 'User profile, settings and account deletion.',
  env: {
    ...tokenVerifierEnv,
    AUTH_URL: {
      type: 'url',
      description:
        "Base URL of the auth service (profile seeding and account deletion, with the user's token).",
      default: 'http://auth:8000',
    },
    AUTH_TIMEOUT_MS: {
      type: 'int',
      description: 'Timeout of calls to the auth service.',
      default: '3000',
      min: 100,
      max: 30000,
    },
    ...queueEnv,
  },
  dependencies: {
    postgres: { server: 'postgres', database: 'my' },
    redis: { server: 'redis', keyPrefix: 'my:' },
    amqp: { server: 'rabbitmq', consumes: ['q.account.my'], publishes: [], critical: false },
    services: ['auth'],
  },
});

/** Where scan images live (S3 or an S3-compatible store). */
const imagesEnv: EnvContract = {
  IMAGES_BUCKET: { type: 'string', description: 'Bucket for scan images.', default: imagesBucketBase },
  S3_ENDPOINT: {
    type: 'url',
    description: 'S3 endpoint (path-style requests); override for tests or MinIO.',
    default: 'https://s3.ap-northeast-2.amazonaws.com',
  },
  S3_REGION: { type: 'string', description: 'S3 region.', default: 'ap-northeast-2' },
  S3_ACCESS_KEY_ID: {
    type: 'string',
    description: 'Static S3 key id; empty = the default AWS credential chain (instance role).',
    default: '',
    secret: true,
  },
  S3_SECRET_ACCESS_KEY: {
    type: 'string',
    description: 'Secret for S3_ACCESS_KEY_ID.',
    default: '',
    secret: true,
  },
  MAX_UPLOAD_BYTES: {
    type: 'int',
    description: 'Largest accepted image.',
    default: '10485760',
    min: 1024,
    max: 52428800,
  },
};

export const scan = api({
  name: 'scan',
  description:
    'Scan uploads (presigned S3 PUT), submission to the pipeline, results, history and status streams.',
  env: {
    ...tokenVerifierEnv,
    ...imagesEnv,
    ...queueEnv,
    UPLOAD_URL_TTL_SEC: {
      type: 'int',
      description: 'Lifetime of a presigned upload URL.',
      default: '600',
      min: 60,
      max: 3600,
    },
    ABANDONED_UPLOAD_SEC: {
      type: 'int',
      description:
        'A scan still not submitted this long after it was created is failed and its raw upload deleted (the cleanup-uploads job on q.sched). Longer than UPLOAD_URL_TTL_SEC.',
      default: '3600',
      min: 600,
      max: 604800,
    },
  },
  dependencies: {
    postgres: { server: 'postgres', database: 'scan' },
    amqp: {
      server: 'rabbitmq',
      consumes: ['q.api', 'q.sched', 'q.account.scan'],
      publishes: ['q.storage', 'q.batch'],
    },
    services: ['auth'],
  },
});

export const character = api({
  name: 'character',
  description: 'XP, levels and badges earned from completed scans.',
  env: { ...tokenVerifierEnv, ...queueEnv },
  dependencies: {
    postgres: { server: 'postgres', database: 'character' },
    amqp: { server: 'rabbitmq', consumes: ['q.batch', 'q.account.character'], publishes: [] },
    services: ['auth'],
  },
});

export const location = api({
  name: 'location',
  description: 'Nearest collection points (recycling, clothing, batteries, e-waste).',
  env: {
    LOCATION_SEED_SAMPLE: {
      type: 'bool',
      description: 'Load the shipped Seoul sample points at start when the table is empty (demos).',
      default: 'false',
    },
  },
  dependencies: { postgres: { server: 'postgres', database: 'location' } },
});

export const info = api({
  name: 'info',
  description: 'Waste categories, materials and disposal steps, with full-text search.',
  dependencies: { postgres: { server: 'postgres', database: 'info' } },
});

export const chat = api({
  name: 'chat',
  description: 'Disposal-guidance chatbot over WebSocket: retrieval over info data, optional LLM.',
  env: {
    ...tokenVerifierEnv,
    LLM_BASE_URL: {
      type: 'string',
      description: 'OpenAI-compatible endpoint; empty = retrieval only.',
      default: '',
    },
    LLM_API_KEY: { type: 'string', description: 'Key for LLM_BASE_URL.', default: '', secret: true },
    LLM_MODEL: { type: 'string', description: 'Model name for LLM_BASE_URL.', default: 'gpt-4o-mini' },
    LLM_TIMEOUT_MS: {
      type: 'int',
      description: 'Longest an LLM answer may take before it is abandoned.',
      default: '30000',
      min: 1000,
      max: 300000,
    },
    CHAT_HISTORY_TTL_SEC: {
      type: 'int',
      description: "How long a user's conversation history is kept after their last message.",
      default: '86400',
      min: 1,
      max: 2592000,
    },
    CHAT_HISTORY_MAX_MESSAGES: {
      type: 'int',
      description: 'Messages (questions and answers) kept per user and sent to the LLM as context.',
      default: '20',
      min: 0,
      max: 200,
    },
    CHAT_RATE_LIMIT_PER_MIN: {
      type: 'int',
      description: 'Questions one user may ask in any 60-second window.',
      default: '20',
      min: 1,
      max: 1000,
    },
    CHAT_MAX_MESSAGE_CHARS: {
      type: 'int',
      description: 'Longest accepted question, in characters.',
      default: '1000',
      min: 10,
      max: 8000,
    },
    ...queueEnv,
    CHAT_AUTH_TIMEOUT_MS: {
      type: 'int',
      description:
        'How long a connection without a token in its handshake may take to send its auth message.',
      default: '5000',
      min: 100,
      max: 60000,
    },
  },
  dependencies: {
    postgres: { server: 'postgres', database: 'info', owner: false },
    redis: { server: 'redis', keyPrefix: 'chat:' },
    amqp: { server: 'rabbitmq', consumes: ['q.account.chat'], publishes: [], critical: false },
    services: ['auth', 'info'],
  },
});

const workerResources: ResourceSpec = {
  requests: { cpu: '200m', memory: '256Mi' },
  limits: { cpu: '1', memory: '512Mi' },
};

export const workerStorage: WorkloadSpec = {
  name: 'worker-storage',
  product: 'waste-coach',
  kind: 'worker',
  cluster: 'kubeadm',
  description: 'Checks uploaded images, strips EXIF/GPS, makes thumbnails, passes jobs to the AI queue.',
  port: 9101,
  env: {
    ...imagesEnv,
    ...queueEnv,
    WORKER_CONCURRENCY: { type: 'int', description: 'Jobs handled at once.', default: '4', min: 1, max: 64 },
    THUMBNAIL_SIZE: {
      type: 'int',
      description: 'Longest side of thumbnails (px).',
      default: '320',
      min: 32,
      max: 2048,
    },
  },
  dependencies: {
    postgres: { server: 'postgres', database: 'scan', owner: false },
    amqp: { server: 'rabbitmq', consumes: ['q.storage'], publishes: ['q.ai'] },
  },
  resources: workerResources,
  replicas: { min: 1, max: 3 },
  placement: { nodeRole: 'worker' },
  // Each scan allocates about 1 MB of short-lived buffers (upload, slices, thumbnail, HTTP
  // chunks). On V8's small starting heap that set off a full mark-compact every ~20 scans; a
  // 128 MB starting heap runs a few per thousand scans (pnpm bench scan: less CPU per scan, RSS
  // about the same, well inside the 512Mi limit).
  nodeFlags: ['--initial-heap-size=128'],
};

export const workerAi: WorkloadSpec = {
  name: 'worker-ai',
  product: 'waste-coach',
  kind: 'worker',
  cluster: 'kubeadm',
  description: 'Classifies scanned items through a vision provider (OpenAI-compatible or label).',
  port: 9102,
  env: {
    ...imagesEnv,
    ...queueEnv,
    VISION_PROVIDER: {
      type: 'enum',
      values: ['label', 'openai'],
      description:
        'Classifier: `label` uses the category the user picked (no model); `openai` calls VISION_BASE_URL.',
      default: 'label',
    },
    VISION_BASE_URL: {
      type: 'string',
      description: 'OpenAI-compatible endpoint (…/v1) for the openai provider.',
      default: '',
    },
    VISION_API_KEY: { type: 'string', description: 'Key for VISION_BASE_URL.', default: '', secret: true },
    VISION_MODEL: { type: 'string', description: 'Model for the openai provider.', default: 'gpt-4o' },
    VISION_TIMEOUT_MS: {
      type: 'int',
      description: 'Time limit of one vision request.',
      default: '20000',
      min: 100,
      max: 120000,
    },
    INFO_DATABASE_URL: {
      type: 'url',
      description: 'PostgreSQL URL of the info database (categories, materials, disposal steps), read only.',
      secret: true,
      required: true,
    },
    WORKER_CONCURRENCY: { type: 'int', description: 'Jobs handled at once.', default: '8', min: 1, max: 64 },
  },
  dependencies: {
    postgres: { server: 'postgres', database: 'scan', owner: false },
    amqp: { server: 'rabbitmq', consumes: ['q.ai'], publishes: ['q.api'] },
  },
  resources: workerResources,
  replicas: { min: 1, max: 3 },
  placement: { nodeRole: 'worker' },
};

export const wasteCoachWorkloads: readonly WorkloadSpec[] = [
  auth,
  my,
  scan,
  character,
  location,
  info,
  chat,
  workerStorage,
  workerAi,
];
