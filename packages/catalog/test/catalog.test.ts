import {
  accountQueues,
  buildCatalog,
  catalog,
  CatalogError,
  envContract,
  topicMatches,
  topologies,
  validateTopology,
  workloadSpecs,
  type CatalogInput,
  type QueueSpec,
  type WorkloadSpec,
} from '../src';

const res = { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '128Mi' } };
const pg: WorkloadSpec = {
  name: 'pg',
  product: 'platform',
  kind: 'data',
  engine: 'postgres',
  cluster: 'kubeadm',
  description: 'db',
  port: 5432,
  resources: res,
};
const svc = (name: string, extra: Partial<WorkloadSpec> = {}): WorkloadSpec => ({
  name,
  product: 'platform',
  kind: 'http',
  cluster: 'kubeadm',
  description: name,
  resources: res,
  ...extra,
});
const images = (...names: string[]) => Object.fromEntries(names.map((n) => [n, '1.0.0']));
const problemsOf = (input: CatalogInput): readonly string[] => {
  try {
    buildCatalog(input);
  } catch (e) {
    expect(e).toBeInstanceOf(CatalogError);
    return (e as CatalogError).problems;
  }
  throw new Error('catalog was accepted');
};

describe('the platform catalog', () => {
  it('holds every workload of both products', () => {
    expect(catalog.workloads.map((w) => w.name).sort()).toEqual(
      [
        'auth',
        'character',
        'chat',
        'game-redis',
        'game-server',
        'info',
        'location',
        'my',
        'postgres',
        'rabbitmq',
        'rds',
        'redis',
        'scan',
        'web',
        'worker-ai',
        'worker-storage',
      ].sort(),
    );
  });

  it('gives every served workload a port and every http service its /api/v1 route', () => {
    for (const w of catalog.workloads.filter((x) => ['http', 'socket', 'worker'].includes(x.kind))) {
      expect(w.port).toEqual(expect.any(Number));
    }
    expect(catalog.get('info').route).toBe('/api/v1/info');
    expect(catalog.get('auth').route).toBe('/api/v1/auth');
  });

  it('allocates the same ports and redis dbs on every load', () => {
    const again = buildCatalog({
      workloads: [...workloadSpecs].reverse(),
      queues: catalog.queues,
      exchanges: catalog.exchanges,
      images: images(...catalog.workloads.map((w) => w.name)),
    });
    for (const w of catalog.workloads) {
      expect(again.get(w.name).port).toBe(w.port);
      expect(again.get(w.name).dependencies.redis?.db).toBe(w.dependencies.redis?.db);
    }
    const dbs = catalog.workloads
      .filter((w) => w.dependencies.redis?.server === 'redis')
      .map((w) => w.dependencies.redis!.db);
    expect(new Set(dbs).size).toBe(dbs.length);
  });

  it('derives env contracts from dependencies', () => {
    const info = catalog.get('info').env;
    expect(info.DATABASE_URL).toMatchObject({ required: true, secret: true });
    expect(info.PORT?.default).toBe(String(catalog.get('info').port));
    expect(catalog.get('game-server').env.REDIS_URL?.required).toBeUndefined();
    expect(catalog.get('scan').env.AMQP_URL?.required).toBe(true);
  });

  it('throws an unknown-workload error naming what exists', () => {
    expect(() => catalog.get('nope')).toThrow(/no workload "nope".*auth/);
  });
});

describe('catalog validation', () => {
  it('rejects a duplicate port naming both workloads', () => {
    const problems = problemsOf({
      workloads: [svc('alpha', { port: 8080 }), svc('beta', { port: 8080 })],
      images: images('alpha', 'beta'),
    });
    expect(problems).toEqual([expect.stringMatching(/duplicate port 8080.*"alpha" and "beta"/)]);
  });

  it('allows the same port in different clusters', () => {
    expect(() =>
      buildCatalog({
        workloads: [svc('alpha', { port: 8080 }), svc('beta', { port: 8080, cluster: 'pi' })],
        images: images('alpha', 'beta'),
      }),
    ).not.toThrow();
  });

  it('rejects duplicate routes and databases, naming both', () => {
    const problems = problemsOf({
      workloads: [
        pg,
        svc('alpha', { route: '/api/v1/x', dependencies: { postgres: { server: 'pg', database: 'x' } } }),
        svc('beta', { route: '/api/v1/x', dependencies: { postgres: { server: 'pg', database: 'x' } } }),
      ],
      images: images('alpha', 'beta', 'pg'),
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/duplicate route "\/api\/v1\/x".*"alpha" and "beta"/),
        expect.stringMatching(/duplicate database "pg\/x".*"alpha" and "beta"/),
      ]),
    );
  });

  it('rejects dependencies on things that do not exist, and lists every problem at once', () => {
    const problems = problemsOf({
      workloads: [
        svc('alpha', {
          dependencies: {
            postgres: { server: 'ghost', database: 'a' },
            services: ['nobody'],
            amqp: { server: 'pg', consumes: ['q.none'] },
          },
        }),
        pg,
      ],
      images: images('alpha', 'pg'),
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"alpha" depends on postgres server "ghost", which does not exist'),
        expect.stringContaining('"alpha" depends on service "nobody", which does not exist'),
        expect.stringContaining('"alpha" depends on "pg" as rabbitmq, but it is a postgres workload'),
        expect.stringContaining('"alpha" uses queue "q.none", which is not declared'),
      ]),
    );
    expect(problems.length).toBeGreaterThanOrEqual(4);
  });

  it('rejects limits below requests', () => {
    const problems = problemsOf({
      workloads: [
        svc('alpha', {
          resources: { requests: { cpu: '1', memory: '512Mi' }, limits: { cpu: '500m', memory: '256Mi' } },
        }),
      ],
      images: images('alpha'),
    });
    expect(problems).toEqual([
      expect.stringContaining('"alpha": memory limit 256Mi is below its request 512Mi'),
      expect.stringContaining('"alpha": cpu limit 500m is below its request 1'),
    ]);
  });

  it('rejects a missing or latest image, bad quantities and bad env names', () => {
    const problems = problemsOf({
      workloads: [
        svc('alpha', { env: { lower: { type: 'string', description: 'x' } } }),
        svc('beta', { resources: { requests: { cpu: 'lots', memory: '1Mi' }, limits: { memory: '1Mi' } } }),
      ],
      images: { beta: 'latest' },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringContaining('"alpha": no image reference'),
        expect.stringContaining('"beta": image reference must not be "latest"'),
        expect.stringContaining('"lots" is not a Kubernetes quantity'),
        expect.stringContaining('env name "lower" must be UPPER_SNAKE_CASE'),
      ]),
    );
  });

  it('rejects node flags that are malformed, repeated or on a workload that is not Node', () => {
    const problems = problemsOf({
      workloads: [
        pg,
        { ...pg, name: 'pg2', port: 5433, nodeFlags: ['--max-old-space-size=64'] },
        svc('alpha', { nodeFlags: ['--initial-heap-size=128', '--initial-heap-size=64', '-x', '--a=$(rm)'] }),
      ],
      images: images('pg', 'pg2', 'alpha'),
    });
    expect(problems).toEqual([
      '"pg2": nodeFlags apply to Node workloads only, not to a data workload',
      '"alpha": node flag --initial-heap-size is given twice',
      '"alpha": node flag "-x" must look like --name or --name=value',
      '"alpha": node flag "--a=$(rm)" must look like --name or --name=value',
    ]);
    const ok = buildCatalog({
      workloads: [svc('alpha', { nodeFlags: ['--initial-heap-size=128'] })],
      images: images('alpha'),
    });
    expect(ok.get('alpha').nodeFlags).toEqual(['--initial-heap-size=128']);
  });

  it('requires an owner for a shared database', () => {
    const problems = problemsOf({
      workloads: [
        pg,
        svc('alpha', { dependencies: { postgres: { server: 'pg', database: 'x', owner: false } } }),
      ],
      images: images('alpha', 'pg'),
    });
    expect(problems).toEqual([expect.stringContaining('uses database "pg/x", which no workload owns')]);
  });

  it('envContract lets a workload override a standard variable', () => {
    const env = envContract(
      svc('alpha', {
        port: 9000,
        env: { LOG_LEVEL: { type: 'enum', values: ['info'], default: 'info', description: 'x' } },
      }),
    );
    expect(env.PORT?.default).toBe('9000');
    expect(env.LOG_LEVEL?.values).toEqual(['info']);
  });
});

describe('account events', () => {
  it('reach one queue per consuming service through a topic exchange, each retrying on its own key', () => {
    expect(catalog.exchanges).toContainEqual({ name: 'x.account', type: 'topic' });
    expect(accountQueues.map((q) => q.name)).toEqual([
      'q.account.my',
      'q.account.scan',
      'q.account.character',
      'q.account.chat',
    ]);
    for (const q of accountQueues) {
      expect(catalog.queues).toContainEqual(q);
      expect(q).toMatchObject({
        exchange: 'x.account',
        bindingKeys: ['account.deleted'],
        deadLetter: 'q.dlq',
      });
      // The event reaches every queue; a retry (sent with the queue's own key) reaches only its queue.
      for (const o of accountQueues) {
        expect(topicMatches(o.bindingKeys![0]!, 'account.deleted')).toBe(true);
        expect([q.name, o.name, topicMatches(o.routingKey, q.routingKey)]).toEqual([q.name, o.name, o === q]);
        expect(topicMatches(o.bindingKeys![0]!, q.routingKey)).toBe(false);
      }
    }
  });

  it('come from auth, which does not need the broker to serve, to my, scan, character and chat', () => {
    expect(catalog.get('auth').dependencies.amqp).toEqual({
      server: 'rabbitmq',
      consumes: [],
      publishes: accountQueues.map((q) => q.name),
      critical: false,
    });
    expect(catalog.get('auth').env.AMQP_URL?.required).toBe(true);
    expect(catalog.get('auth').env.QUEUE_PREFIX?.default).toBe('');
    for (const [name, critical] of [
      ['my', false],
      ['scan', undefined],
      ['character', undefined],
      ['chat', false],
    ] as const) {
      const amqp = catalog.get(name).dependencies.amqp!;
      expect([name, amqp.consumes, amqp.critical]).toEqual([
        name,
        expect.arrayContaining([`q.account.${name}`]),
        critical,
      ]);
      expect(catalog.get(name).env.QUEUE_PREFIX).toBeDefined();
    }
  });

  it('rejects retries that would reach other queues: through a fanout, or a routing key another queue binds', () => {
    const mq: WorkloadSpec = { ...pg, name: 'mq', engine: 'rabbitmq', port: 5672 };
    const q = (name: string, exchange: string, routingKey: string, extra: Partial<QueueSpec> = {}) => ({
      name,
      description: name,
      exchange,
      routingKey,
      maxAttempts: 3,
      retryDelaysMs: [100],
      deadLetter: 'q.dead',
      ...extra,
    });
    const problems = problemsOf({
      workloads: [mq],
      images: images('mq'),
      exchanges: [
        { name: 'x.fan', type: 'fanout' },
        { name: 'x.topic', type: 'topic' },
        { name: 'x.dead', type: 'direct' },
      ],
      queues: [
        q('q.fan', 'x.fan', 'fan'),
        q('q.a', 'x.topic', 'to.a', { bindingKeys: ['event.#'] }),
        q('q.b', 'x.topic', 'event.b', { bindingKeys: ['event.#'] }),
        q('q.c', 'x.topic', 'to.c', { bindingKeys: ['event.*'], retryDelaysMs: [] }),
        {
          name: 'q.dead',
          description: 'dead',
          exchange: 'x.dead',
          routingKey: 'dead',
          maxAttempts: 1,
          retryDelaysMs: [],
        },
      ],
    });
    expect(problems).toEqual([
      expect.stringContaining('queue "q.fan" retries through fanout exchange "x.fan"'),
      'retries of queue "q.b" (routing key "event.b") would also reach queue "q.a" (bound with "event.#"); give "q.b" a routing key of its own',
      'retries of queue "q.b" (routing key "event.b") would also reach queue "q.c" (bound with "event.*"); give "q.b" a routing key of its own',
    ]);
  });

  it('matches topic binding keys as RabbitMQ does', () => {
    expect(topicMatches('account.deleted', 'account.deleted')).toBe(true);
    expect(topicMatches('account.*', 'account.deleted')).toBe(true);
    expect(topicMatches('account.*', 'account.deleted.x')).toBe(false);
    expect(topicMatches('#', 'anything.at.all')).toBe(true);
    expect(topicMatches('account.#', 'account')).toBe(true);
    expect(topicMatches('*.deleted', 'to.my')).toBe(false);
    expect(topicMatches('to.my', 'to.scan')).toBe(false);
  });
});

describe('kubeadm topologies', () => {
  it('ships two valid presets matching the source designs', () => {
    expect(validateTopology(topologies['tiered-4'])).toEqual([]);
    expect(validateTopology(topologies['per-service-14'])).toEqual([]);
    expect(topologies['per-service-14'].pools.reduce((n, p) => n + p.count, 0)).toBe(14);
  });
  it('rejects a topology without a control plane and with an unknown instance type', () => {
    expect(
      validateTopology({
        name: 'x',
        pools: [{ name: 'api', role: 'api', instanceType: 'm9.huge', count: 1, tainted: false }],
      }),
    ).toEqual([
      'topology "x" has no control plane: add a pool with role "control-plane" and count >= 1',
      expect.stringContaining('unknown instance type "m9.huge"'),
    ]);
  });
});
