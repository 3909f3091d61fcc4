import { resolve } from 'node:path';
import {
  kubernetesRules,
  loadKubernetesClusters,
  runRules,
  validatePack,
  type Rule,
  type UnitContext,
} from '../../src';
import { clone, goodDeployment, neighbours, resourceOf, unit } from './fixtures';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are untyped manifests
type Obj = Record<string, any>;
const container = (d: Obj) => d.spec.template.spec.containers[0];
const pod = (d: Obj) => d.spec.template.spec;

const rule = (id: string): Rule<UnitContext> => {
  const r = kubernetesRules.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
};

/** For each rule: the kind checked, and a mutation of the healthy set that breaks it. */
const cases: { id: string; kind: string; breakIt: (objs: Obj[]) => void; message: RegExp }[] = [
  {
    id: 'K8S-POD-001',
    kind: 'Deployment',
    breakIt: ([d]) => (pod(d!).securityContext.runAsUser = 0),
    message: /runAsUser is 0/,
  },
  {
    id: 'K8S-POD-002',
    kind: 'Deployment',
    breakIt: ([d]) => delete container(d!).securityContext.allowPrivilegeEscalation,
    message: /allowPrivilegeEscalation is not false/,
  },
  {
    id: 'K8S-POD-003',
    kind: 'Deployment',
    breakIt: ([d]) => (container(d!).securityContext.capabilities = { drop: ['ALL'], add: ['SYS_ADMIN'] }),
    message: /adds capabilities SYS_ADMIN/,
  },
  {
    id: 'K8S-POD-004',
    kind: 'Deployment',
    breakIt: ([d]) => delete pod(d!).securityContext.seccompProfile,
    message: /seccomp profile is unset/,
  },
  {
    id: 'K8S-POD-005',
    kind: 'Deployment',
    breakIt: ([d]) => (container(d!).securityContext.readOnlyRootFilesystem = false),
    message: /readOnlyRootFilesystem is not true/,
  },
  {
    id: 'K8S-POD-006',
    kind: 'Deployment',
    breakIt: ([d]) => (pod(d!).hostNetwork = true),
    message: /uses hostNetwork/,
  },
  {
    id: 'K8S-RES-001',
    kind: 'Deployment',
    breakIt: ([d]) => delete container(d!).resources.requests.cpu,
    message: /no cpu request/,
  },
  {
    id: 'K8S-RES-002',
    kind: 'Deployment',
    breakIt: ([d]) => delete container(d!).resources.limits,
    message: /no memory limit/,
  },
  {
    id: 'K8S-IMG-001',
    kind: 'Deployment',
    breakIt: ([d]) => (container(d!).image = 'hybrid/api:latest'),
    message: /"hybrid\/api:latest" is not pinned/,
  },
  {
    id: 'K8S-PRB-001',
    kind: 'Deployment',
    breakIt: ([d]) => delete container(d!).readinessProbe,
    message: /no readiness probe/,
  },
  {
    id: 'K8S-AVL-001',
    kind: 'Deployment',
    breakIt: (objs) =>
      objs.splice(
        objs.findIndex((o) => o.kind === 'PodDisruptionBudget'),
        1,
      ),
    message: /2 replicas and no PodDisruptionBudget/,
  },
  {
    id: 'K8S-NET-001',
    kind: 'Deployment',
    breakIt: (objs) =>
      objs.splice(
        objs.findIndex((o) => o.kind === 'NetworkPolicy'),
        1,
      ),
    message: /no NetworkPolicy in namespace "apps"/,
  },
  {
    id: 'K8S-SVC-001',
    kind: 'Service',
    breakIt: (objs) =>
      (objs.find((o) => o.kind === 'Service')!.spec.selector = { 'app.kubernetes.io/name': 'apj' }),
    message: /matches no pods/,
  },
  {
    id: 'K8S-ING-001',
    kind: 'Ingress',
    breakIt: (objs) =>
      (objs.find((o) => o.kind === 'Ingress')!.spec.rules[0].http.paths[0].backend.service.port.number =
        9000),
    message: /has no port 9000/,
  },
  {
    id: 'K8S-HPA-001',
    kind: 'HorizontalPodAutoscaler',
    breakIt: (objs) =>
      (objs.find((o) => o.kind === 'HorizontalPodAutoscaler')!.spec.scaleTargetRef.name = 'gone'),
    message: /Deployment\/gone does not exist/,
  },
  {
    id: 'K8S-NS-001',
    kind: 'Deployment',
    breakIt: ([d]) => (d!.metadata.namespace = 'default'),
    message: /default namespace/,
  },
  {
    id: 'K8S-SEC-001',
    kind: 'Deployment',
    breakIt: ([d]) => container(d!).env.push({ name: 'DB_PASSWORD', value: 'hunter2' }),
    message: /literal secret values in env: api: DB_PASSWORD/,
  },
  {
    id: 'K8S-SA-001',
    kind: 'Deployment',
    breakIt: ([d]) => (pod(d!).automountServiceAccountToken = true),
    message: /mounts its service account token/,
  },
  {
    id: 'K8S-DEP-001',
    kind: 'Deployment',
    breakIt: ([d]) => delete d!.spec.strategy,
    message: /maxUnavailable is unset/,
  },
];

describe('kubernetes rule pack', () => {
  it('has at least 15 rules with ids, meaning, reason and upstream mirrors', () => {
    expect(kubernetesRules.length).toBeGreaterThanOrEqual(15);
    expect(validatePack(kubernetesRules as Rule<never>[])).toEqual([]);
    expect(cases.map((c) => c.id).sort()).toEqual(kubernetesRules.map((r) => r.id).sort());
  });

  it('the healthy fixture passes every rule', () => {
    const ctx = unit([goodDeployment(), ...neighbours()]);
    expect(runRules(kubernetesRules, ctx.resources, ctx)).toEqual([]);
  });

  for (const c of cases) {
    describe(c.id, () => {
      it('passes the healthy fixture', () => {
        const ctx = unit([goodDeployment(), ...neighbours()]);
        expect(rule(c.id).check(resourceOf(ctx, c.kind), ctx).status).toBe('compliant');
      });
      it('fails the broken fixture with a clear message', () => {
        const objs = [clone(goodDeployment()), ...neighbours()];
        c.breakIt(objs);
        const ctx = unit(objs);
        const v = rule(c.id).check(resourceOf(ctx, c.kind), ctx);
        expect(v.status).toBe('non-compliant');
        expect(v.status === 'non-compliant' && v.message).toMatch(c.message);
      });
    });
  }
});

describe('rule details', () => {
  it('host-network pods need no NetworkPolicy; single replicas need no PDB', () => {
    const d = goodDeployment();
    pod(d).hostNetwork = true;
    d.spec.replicas = 1;
    const ctx = unit([d]);
    expect(rule('K8S-NET-001').check(resourceOf(ctx, 'Deployment'), ctx).status).toBe('not-applicable');
    expect(rule('K8S-AVL-001').check(resourceOf(ctx, 'Deployment'), ctx).status).toBe('not-applicable');
  });
  it('digests are pinned; untagged images are not', () => {
    const d = goodDeployment();
    container(d).image = `hybrid/api@sha256:${'a'.repeat(64)}`;
    let ctx = unit([d]);
    expect(rule('K8S-IMG-001').check(resourceOf(ctx, 'Deployment'), ctx).status).toBe('compliant');
    container(d).image = 'registry.local:5000/hybrid/api';
    ctx = unit([d]);
    expect(rule('K8S-IMG-001').check(resourceOf(ctx, 'Deployment'), ctx).status).toBe('non-compliant');
  });
  it('a URL with a password is a secret value whatever its name', () => {
    const d = goodDeployment();
    container(d).env.push({ name: 'AMQP_URL', value: 'amqp://app:s3cret@rabbitmq:5672' });
    const ctx = unit([d]);
    expect(rule('K8S-SEC-001').check(resourceOf(ctx, 'Deployment'), ctx).status).toBe('non-compliant');
  });
  it('CronJob pod templates are checked too', () => {
    const d = goodDeployment();
    const cron = {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'j', namespace: 'apps' },
      spec: { jobTemplate: { spec: { template: d.spec.template } } },
    };
    d.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem = false;
    const ctx = unit([cron]);
    expect(runRules(kubernetesRules, ctx.resources, ctx).map((f) => f.rule)).toEqual([
      'K8S-POD-005',
      'K8S-NET-001',
    ]);
  });
  it('an acknowledgement with a reason is honoured; a short one is a finding', () => {
    const d = goodDeployment();
    pod(d).hostNetwork = true;
    d.metadata.annotations = { 'ack.policy.hybrid.dev/K8S-POD-006': 'routes traffic for the node' };
    let ctx = unit([d, ...neighbours()]);
    expect(runRules(kubernetesRules, ctx.resources, ctx)).toEqual([
      expect.objectContaining({ rule: 'K8S-POD-006', acknowledged: 'routes traffic for the node' }),
    ]);
    d.metadata.annotations = { 'ack.policy.hybrid.dev/K8S-POD-006': 'needed' };
    ctx = unit([d, ...neighbours()]);
    expect(runRules(kubernetesRules, ctx.resources, ctx).map((f) => [f.rule, f.acknowledged])).toEqual([
      ['POLICY-ACK', undefined],
      ['K8S-POD-006', undefined],
    ]);
  });
});

describe('the committed clusters', () => {
  it('have no unacknowledged findings (pnpm policy is clean)', () => {
    const clusters = loadKubernetesClusters(resolve(__dirname, '../../../../infra-k8s/dist'));
    expect(clusters.map((c) => c.unit)).toEqual(['kubeadm', 'pi']);
    for (const c of clusters) {
      const open = runRules(kubernetesRules, c.resources, c).filter((f) => !f.acknowledged);
      expect(open).toEqual([]);
    }
  });
});
