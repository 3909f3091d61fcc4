import { catalog, nodeRoleKey, type Workload } from '@hybrid/catalog';
import { ConstructValidationError, HttpService, SocketService, Worker, secretNameOf } from '../src';
import { find, kinds, synth } from './helpers';

const auth = catalog.get('auth');
const game = catalog.get('game-server');
const worker = catalog.get('worker-ai');

describe('HttpService', () => {
  const objs = synth(
    (c) =>
      new HttpService(c, 'Auth', {
        workload: auth,
        namespace: 'waste-coach',
        secretStore: 'aws-secrets-manager',
        imageRegistry: 'registry.local:5000/hybrid',
      }),
  );
  const dep = find(objs, 'Deployment', 'auth');
  const pod = dep.spec.template.spec;
  const container = pod.containers[0];

  it('creates the full set of objects with stable names', () => {
    expect(kinds(objs)).toEqual([
      'Deployment',
      'ExternalSecret',
      'HorizontalPodAutoscaler',
      'NetworkPolicy',
      'PodDisruptionBudget',
      'Service',
      'ServiceAccount',
      'ServiceMonitor',
    ]);
    expect(objs.every((o) => o.metadata.name === 'auth' || o.metadata.name === 'auth-secrets')).toBe(true);
  });

  it('writes every env variable of the catalog contract; secrets only by reference', () => {
    expect(container.env.map((e: { name: string }) => e.name)).toEqual(Object.keys(auth.env));
    for (const [name, spec] of Object.entries(auth.env)) {
      const e = container.env.find((x: { name: string }) => x.name === name);
      if (spec.secret) {
        expect(e.value).toBeUndefined();
        // A secret the service can run without is an optional reference; a required one is not.
        expect(e.valueFrom.secretKeyRef).toEqual({
          name: secretNameOf('auth'),
          key: name,
          ...(spec.required ? {} : { optional: true }),
        });
      } else expect(e.value).toBe(spec.default);
    }
    expect(JSON.stringify(objs)).not.toMatch(/PRIVATE|BEGIN|password=/i);
  });

  it('uses the catalog port and the kit probe paths', () => {
    expect(container.ports).toEqual([{ name: 'http', containerPort: auth.port, protocol: 'TCP' }]);
    expect(container.env.find((e: { name: string }) => e.name === 'PORT').value).toBe(String(auth.port));
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    expect(find(objs, 'ServiceMonitor').spec.endpoints[0].path).toBe('/metrics');
    expect(find(objs, 'Service').spec.ports[0].port).toBe(auth.port);
  });

  it('is restricted by default', () => {
    expect(pod.securityContext).toMatchObject({
      runAsNonRoot: true,
      runAsUser: 10001,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.automountServiceAccountToken).toBe(false);
    expect(find(objs, 'ServiceAccount').automountServiceAccountToken).toBe(false);
    expect(container.volumeMounts).toEqual([{ name: 'scratch-0', mountPath: '/tmp' }]);
    expect(container.resources).toEqual({ requests: auth.resources.requests, limits: auth.resources.limits });
  });

  it('pins the image with the configured registry', () => {
    expect(container.image).toBe(`registry.local:5000/hybrid/${auth.image}:${auth.imageRef}`);
  });

  it('places pods by node role with a toleration', () => {
    const key = nodeRoleKey('api');
    expect(pod.nodeSelector).toEqual({ [key]: 'true' });
    expect(pod.tolerations).toEqual([{ key, operator: 'Equal', value: 'true', effect: 'NoSchedule' }]);
  });

  it('scales between the catalog replicas with zero-unavailable rollouts and a PDB', () => {
    expect(dep.spec.replicas).toBeUndefined();
    expect(dep.spec.strategy.rollingUpdate).toEqual({ maxSurge: 1, maxUnavailable: 0 });
    expect(find(objs, 'HorizontalPodAutoscaler').spec).toMatchObject({
      minReplicas: auth.replicas.min,
      maxReplicas: auth.replicas.max,
      scaleTargetRef: { kind: 'Deployment', name: 'auth' },
    });
    expect(find(objs, 'PodDisruptionBudget').spec.maxUnavailable).toBe(1);
  });

  it('maps each secret variable in the ExternalSecret', () => {
    const es = find(objs, 'ExternalSecret');
    expect(es.spec.data.map((d: { secretKey: string }) => d.secretKey)).toEqual(
      Object.entries(auth.env)
        .filter(([, spec]) => spec.secret)
        .map(([name]) => name),
    );
    expect(es.spec.data.map((d: { secretKey: string }) => d.secretKey)).toEqual(
      expect.arrayContaining(['DATABASE_URL', 'REDIS_URL', 'JWT_SIGNING_KEYS']),
    );
    expect(es.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: 'aws-secrets-manager' });
  });

  it('always lets DNS out and Prometheus in', () => {
    const np = find(objs, 'NetworkPolicy');
    expect(np.spec.policyTypes).toEqual(['Ingress', 'Egress']);
    expect(np.spec.egress.at(-1).ports).toEqual([
      { protocol: 'UDP', port: 53 },
      { protocol: 'TCP', port: 53 },
    ]);
    expect(np.spec.ingress[0].from[0].namespaceSelector.matchLabels).toEqual({
      'kubernetes.io/metadata.name': 'monitoring',
    });
  });
});

describe('SocketService and Worker', () => {
  it('SocketService keeps clients on one pod and can be a LoadBalancer', () => {
    const objs = synth(
      (c) =>
        new SocketService(c, 'Game', {
          workload: game,
          namespace: 'game',
          serviceType: 'LoadBalancer',
          serviceAnnotations: { 'metallb.io/address-pool': 'lan' },
        }),
    );
    const svc = find(objs, 'Service');
    expect(svc.spec).toMatchObject({
      type: 'LoadBalancer',
      sessionAffinity: 'ClientIP',
      externalTrafficPolicy: 'Local',
    });
    expect(svc.metadata.annotations).toEqual({ 'metallb.io/address-pool': 'lan' });
    expect(find(objs, 'Deployment').spec.template.spec.nodeSelector).toBeUndefined();
    // No secret store: no ExternalSecret, secrets still by reference.
    expect(objs.some((o) => o.kind === 'ExternalSecret')).toBe(false);
  });

  it('HttpService can be a NodePort backend of an ALB (instance targets) on a fixed node port', () => {
    const objs = synth(
      (c) =>
        new HttpService(c, 'Auth', {
          workload: auth,
          namespace: 'waste-coach',
          serviceType: 'NodePort',
          nodePort: 30101,
          serviceAnnotations: { 'alb.ingress.kubernetes.io/healthcheck-path': '/health' },
        }),
    );
    const svc = find(objs, 'Service');
    expect(svc.spec).toMatchObject({ type: 'NodePort', externalTrafficPolicy: 'Local' });
    expect(svc.spec.ports[0]).toMatchObject({ port: auth.port, nodePort: 30101 });
    expect(svc.metadata.annotations).toEqual({ 'alb.ingress.kubernetes.io/healthcheck-path': '/health' });
  });

  it('rejects a node port outside 30000-32767 or on a ClusterIP Service', () => {
    expect(() =>
      synth(
        (c) =>
          new HttpService(c, 'Auth', {
            workload: auth,
            namespace: 'waste-coach',
            serviceType: 'NodePort',
            nodePort: 8080,
          }),
      ),
    ).toThrow(/nodePort 8080 is outside 30000-32767/);
    expect(() =>
      synth((c) => new HttpService(c, 'Auth', { workload: auth, namespace: 'waste-coach', nodePort: 30101 })),
    ).toThrow(/nodePort 30101 needs serviceType NodePort or LoadBalancer/);
  });

  it('Worker without a PDB when it runs one replica minimum', () => {
    const objs = synth((c) => new Worker(c, 'Ai', { workload: worker, namespace: 'waste-coach' }));
    expect(objs.some((o) => o.kind === 'PodDisruptionBudget')).toBe(false);
    expect(find(objs, 'Deployment').spec.template.spec.nodeSelector).toEqual({
      [nodeRoleKey('worker')]: 'true',
    });
  });

  it("runs node with the catalog's nodeFlags, and keeps the image's command when there are none", () => {
    const storage = catalog.get('worker-storage');
    expect(storage.nodeFlags.length).toBeGreaterThan(0);
    const objs = synth((c) => new Worker(c, 'Storage', { workload: storage, namespace: 'waste-coach' }));
    expect(find(objs, 'Deployment').spec.template.spec.containers[0].args).toEqual([
      'node',
      ...storage.nodeFlags,
      'dist/main.js',
    ]);
    const plain = synth((c) => new Worker(c, 'Ai', { workload: worker, namespace: 'waste-coach' }));
    expect(worker.nodeFlags).toEqual([]);
    expect(find(plain, 'Deployment').spec.template.spec.containers[0]).not.toHaveProperty('args');
  });

  it('fixed replicas without an autoscaler', () => {
    const fixed: Workload = { ...worker, replicas: { min: 2, max: 2 } };
    const objs = synth((c) => new Worker(c, 'Ai', { workload: fixed, namespace: 'waste-coach' }));
    expect(find(objs, 'Deployment').spec.replicas).toBe(2);
    expect(objs.some((o) => o.kind === 'HorizontalPodAutoscaler')).toBe(false);
    expect(objs.some((o) => o.kind === 'PodDisruptionBudget')).toBe(true);
  });
});

describe('validation errors', () => {
  const fails = (build: () => unknown, ...messages: RegExp[]) => {
    let err: unknown;
    try {
      synth(() => build());
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConstructValidationError);
    for (const m of messages) expect((err as Error).message).toMatch(m);
  };

  it('rejects an entry of the wrong kind', () => {
    fails(
      () => synth((c) => new Worker(c, 'X', { workload: auth, namespace: 'a' })),
      /catalog kind is "http"; Worker deploys worker/,
    );
  });
  it('rejects an unknown env override', () => {
    fails(
      () => synth((c) => new HttpService(c, 'X', { workload: auth, namespace: 'a', env: { NOPE: '1' } })),
      /env "NOPE" is not in the contract/,
    );
  });
  it('rejects a value for a secret variable', () => {
    fails(
      () =>
        synth(
          (c) => new HttpService(c, 'X', { workload: auth, namespace: 'a', env: { JWT_SIGNING_KEYS: '[]' } }),
        ),
      /env "JWT_SIGNING_KEYS" is secret/,
    );
  });
  it('rejects a required non-secret variable without a value', () => {
    const w: Workload = {
      ...auth,
      env: { ...auth.env, REGION: { type: 'string', description: 'r', required: true } },
    };
    fails(
      () => synth((c) => new HttpService(c, 'X', { workload: w, namespace: 'a' })),
      /env "REGION" is required by "auth" and has no default/,
    );
  });
  it('rejects out-of-range and badly typed values', () => {
    fails(
      () =>
        synth(
          (c) =>
            new HttpService(c, 'X', {
              workload: auth,
              namespace: 'a',
              env: { ACCESS_TOKEN_TTL_SEC: '5', ARGON2_TIME_COST: 'two', LOG_LEVEL: 'loud' },
            }),
        ),
      /ACCESS_TOKEN_TTL_SEC" = 5 is outside \[60, 900\]/,
      /ARGON2_TIME_COST" = "two" is not a int/,
      /LOG_LEVEL" = "loud" is not one of/,
    );
  });
  it('rejects a PORT that disagrees with the catalog', () => {
    fails(
      () => synth((c) => new HttpService(c, 'X', { workload: auth, namespace: 'a', env: { PORT: '1234' } })),
      /env PORT "1234" differs from the catalog port/,
    );
  });
  it('rejects latest, missing and malformed image references', () => {
    fails(
      () =>
        synth((c) => new HttpService(c, 'X', { workload: { ...auth, imageRef: 'latest' }, namespace: 'a' })),
      /not pinned/,
    );
    fails(
      () => synth((c) => new HttpService(c, 'X', { workload: { ...auth, imageRef: '' }, namespace: 'a' })),
      /no image reference/,
    );
    fails(
      () =>
        synth((c) => new HttpService(c, 'X', { workload: auth, namespace: 'a', imageRegistry: 'https://x' })),
      /image registry "https:\/\/x"/,
    );
  });
  it('rejects root, a bad namespace and a bad CPU target, all at once', () => {
    fails(
      () =>
        synth(
          (c) =>
            new HttpService(c, 'X', {
              workload: auth,
              namespace: 'Bad_NS',
              runAsUser: 0,
              targetCpuPercent: 150,
            }),
        ),
      /3 problems/,
      /runAsUser 0 must be a non-zero UID/,
      /namespace "Bad_NS" is not a DNS label/,
      /targetCpuPercent 150/,
    );
  });
  it('rejects a workload that runs on AWS', () => {
    fails(
      () => synth((c) => new HttpService(c, 'X', { workload: { ...auth, cluster: 'aws' }, namespace: 'a' })),
      /runs on AWS/,
    );
  });
});
