import { nodeRoleKey } from '@hybrid/catalog';
import {
  AlbIngress,
  AlertRules,
  alerts,
  AppProject,
  argoCdValues,
  AwsSecretStore,
  budgetBar,
  CapacityError,
  charts,
  checkCapacity,
  FolderApplicationSet,
  GitApplication,
  GrafanaDashboard,
  HelmAddon,
  kubePrometheusStackValues,
  manifestUsage,
  metricsServerValues,
  MetalLbPool,
  PlatformNamespace,
  ScheduledJob,
  TailscaleRouter,
  valuesMemory,
} from '../src';
import { find, kinds, synth } from './helpers';

const MiB = 2 ** 20;

describe('AlbIngress', () => {
  const route = { path: '/api/v1/auth', service: 'auth', port: 8304 };
  /** The Ingress `api` in namespace `wc`, group `g`, with `props` (host, routes and the rest). */
  const ingress = (props: Omit<ConstructorParameters<typeof AlbIngress>[3], 'namespace' | 'group'>) =>
    synth((c) => new AlbIngress(c, 'I', 'api', { namespace: 'wc', group: 'g', ...props }));
  it('routes paths to services over HTTPS on a shared ALB', () => {
    const [ing] = ingress({
      host: 'api.example.com',
      routes: [route],
      certificateArn: 'arn:aws:acm:ap-northeast-2:123456789012:certificate/abc-123',
    });
    expect(ing!.spec.ingressClassName).toBe('alb');
    expect(ing!.spec.rules[0].http.paths).toEqual([
      {
        path: '/api/v1/auth',
        pathType: 'Prefix',
        backend: { service: { name: 'auth', port: { number: 8304 } } },
      },
    ]);
    expect(ing!.metadata.annotations).toMatchObject({
      'alb.ingress.kubernetes.io/group.name': 'g',
      'alb.ingress.kubernetes.io/certificate-arn':
        'arn:aws:acm:ap-northeast-2:123456789012:certificate/abc-123',
      'alb.ingress.kubernetes.io/ssl-redirect': '443',
      'alb.ingress.kubernetes.io/target-type': 'instance',
    });
    // Health checks are per backend Service (albBackendAnnotations), not one path for all.
    expect(ing!.metadata.annotations).not.toHaveProperty('alb.ingress.kubernetes.io/healthcheck-path');
    // No security group given: the controller manages its own.
    expect(ing!.metadata.annotations).not.toHaveProperty('alb.ingress.kubernetes.io/security-groups');
  });
  it('attaches a given ALB security group and leaves the node rules to Terraform', () => {
    const [ing] = ingress({
      host: 'api.example.com',
      routes: [route],
      securityGroupId: 'sg-0123456789abcdef0',
    });
    expect(ing!.metadata.annotations).toMatchObject({
      'alb.ingress.kubernetes.io/security-groups': 'sg-0123456789abcdef0',
      'alb.ingress.kubernetes.io/manage-backend-security-group-rules': 'false',
    });
    expect(() => ingress({ host: 'h', routes: [route], securityGroupId: 'my-alb' })).toThrow(
      /"my-alb" is not a security group id/,
    );
  });
  it('rejects duplicate paths, bad paths and a bad certificate', () => {
    expect(() =>
      ingress({ host: 'h', routes: [route, route, { ...route, path: 'nope' }], certificateArn: 'arn:nope' }),
    ).toThrow(/routed twice[\s\S]*"nope" must be an absolute[\s\S]*not an ACM certificate ARN/);
    expect(() => ingress({ host: 'h', routes: [] })).toThrow(/no routes/);
  });
});

describe('metricsServerValues', () => {
  it('skips kubelet certificate verification only when asked to, and declares its memory', () => {
    expect(metricsServerValues({ kubeletInsecureTls: true }).args).toEqual(['--kubelet-insecure-tls']);
    expect(metricsServerValues({ kubeletInsecureTls: false }).args).toEqual([]);
    const v = metricsServerValues({ kubeletInsecureTls: false, role: 'infra' });
    expect(v.nodeSelector).toEqual({ [nodeRoleKey('infra')]: 'true' });
    expect(valuesMemory(v)).toEqual([{ path: '.', replicas: 1, limitBytes: 192 * MiB }]);
    expect(charts.metricsServer.version).toMatch(/^\d+\.\d+\.\d+$/);
  });
});

describe('MetalLbPool, TailscaleRouter, PlatformNamespace', () => {
  it('MetalLB: a pool and its L2 advertisement', () => {
    const objs = synth(
      (c) => new MetalLbPool(c, 'P', 'lan', { addresses: ['192.168.1.240-192.168.1.250', '10.0.0.0/28'] }),
    );
    expect(find(objs, 'IPAddressPool').spec.addresses).toEqual([
      '192.168.1.240-192.168.1.250',
      '10.0.0.0/28',
    ]);
    expect(find(objs, 'L2Advertisement').spec.ipAddressPools).toEqual(['lan']);
    expect(() => synth((c) => new MetalLbPool(c, 'P', 'lan', { addresses: ['somewhere'] }))).toThrow(
      /"somewhere" is neither a CIDR nor a from-to range/,
    );
  });
  it('Tailscale: routes, auth key by reference, exceptions acknowledged with reasons', () => {
    const objs = synth(
      (c) => new TailscaleRouter(c, 'T', { namespace: 'tailscale', advertiseRoutes: ['192.168.1.0/24'] }),
    );
    const dep = find(objs, 'Deployment');
    const env = dep.spec.template.spec.containers[0].env;
    expect(env).toContainEqual({ name: 'TS_ROUTES', value: '192.168.1.0/24' });
    expect(env).toContainEqual({
      name: 'TS_AUTHKEY',
      valueFrom: { secretKeyRef: { name: 'tailscale-auth', key: 'TS_AUTHKEY' } },
    });
    for (const [k, v] of Object.entries(dep.metadata.annotations!)) {
      expect(k).toMatch(/^ack\.policy\.hybrid\.dev\/K8S-/);
      expect(v.length).toBeGreaterThanOrEqual(10);
    }
    // It reads and updates only its state Secret, and may create it on first start (create cannot
    // be limited by name).
    expect(find(objs, 'Role').rules).toEqual([
      {
        apiGroups: [''],
        resources: ['secrets'],
        resourceNames: ['tailscale-state'],
        verbs: ['get', 'update', 'patch'],
      },
      { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
    ]);
    expect(() =>
      synth(
        (c) =>
          new TailscaleRouter(c, 'T', {
            namespace: 't',
            advertiseRoutes: ['lan'],
            image: 'tailscale/tailscale:latest',
          }),
      ),
    ).toThrow(/route "lan" is not a CIDR[\s\S]*must be pinned/);
  });
  it('Namespace: restricted Pod Security and default deny', () => {
    const objs = synth((c) => new PlatformNamespace(c, 'N', 'apps'));
    expect(find(objs, 'Namespace').metadata.labels).toMatchObject({
      'pod-security.kubernetes.io/enforce': 'restricted',
    });
    expect(find(objs, 'NetworkPolicy', 'default-deny').spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    expect(
      kinds(
        synth((c) => new PlatformNamespace(c, 'N', 'mon', { podSecurity: 'privileged', defaultDeny: false })),
      ),
    ).toEqual(['Namespace']);
  });
});

describe('ArgoCD', () => {
  it('project, application and application set sync automatically with prune, self-heal and backoff', () => {
    const objs = synth((c) => {
      new AppProject(c, 'P', 'pi', {
        description: 'd',
        repoUrl: 'https://git.example/r.git',
        namespaces: ['game'],
      });
      new GitApplication(c, 'A', 'pi-game', {
        project: 'pi',
        repoUrl: 'https://git.example/r.git',
        path: 'infra-k8s/dist/pi/game',
        namespace: 'game',
        wave: 3,
      });
      new FolderApplicationSet(c, 'S', 'all', {
        project: 'pi',
        repoUrl: 'https://git.example/r.git',
        include: 'infra-k8s/dist/k/*',
        exclude: ['infra-k8s/dist/k/argocd'],
      });
    });
    const app = find(objs, 'Application');
    expect(app.spec.syncPolicy).toEqual({
      automated: { prune: true, selfHeal: true },
      syncOptions: ['ServerSideApply=true'],
      retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
    });
    expect(app.metadata.annotations).toEqual({ 'argocd.argoproj.io/sync-wave': '3' });
    const set = find(objs, 'ApplicationSet');
    expect(set.spec.generators[0].git.directories).toEqual([
      { path: 'infra-k8s/dist/k/*' },
      { path: 'infra-k8s/dist/k/argocd', exclude: true },
    ]);
    expect(find(objs, 'AppProject').spec.destinations).toEqual([
      { server: 'https://kubernetes.default.svc', namespace: 'game' },
    ]);
    expect(() =>
      synth(
        (c) =>
          new GitApplication(c, 'A', 'x', { project: 'p', repoUrl: 'r', path: '../etc', namespace: 'n' }),
      ),
    ).toThrow(/must be relative/);
  });
});

describe('HelmAddon', () => {
  it('pins the chart and carries the typed values; memory comes from the values', () => {
    const values = argoCdValues({ domain: 'example.com', small: true, role: 'infra' });
    let addon: HelmAddon<object> | undefined;
    const objs = synth((c) => {
      addon = new HelmAddon(c, 'A', 'argo-cd', {
        chart: charts.argoCd,
        project: 'pi',
        namespace: 'argocd',
        values,
      });
    });
    const app = find(objs, 'Application');
    expect(app.spec.source).toMatchObject({
      chart: 'argo-cd',
      targetRevision: charts.argoCd.version,
      helm: { releaseName: 'argo-cd', valuesObject: values },
    });
    expect(app.spec.syncPolicy.syncOptions).toContain('CreateNamespace=true');
    expect(values.controller.nodeSelector).toEqual({ [nodeRoleKey('infra')]: 'true' });
    // controller 512 + repo 256 + server 128 + redis 64 + appset 96; dex and notifications are off.
    expect(addon!.memoryLimitBytes()).toBe((512 + 256 + 128 + 64 + 96) * MiB);
  });
  it('counts replicas and skips disabled components', () => {
    expect(
      valuesMemory({
        a: { replicas: 3, resources: { limits: { memory: '100Mi' } } },
        b: { enabled: false, resources: { limits: { memory: '1Gi' } } },
      }),
    ).toEqual([{ path: 'a', replicas: 3, limitBytes: 100 * MiB }]);
    const kps = valuesMemory(kubePrometheusStackValues({ domain: 'd', small: true })).map((c) => c.path);
    expect(kps).toEqual(
      expect.arrayContaining([
        'prometheus.prometheusSpec',
        'grafana',
        'grafana.sidecar',
        'kube-state-metrics',
      ]),
    );
  });
  it('counts DaemonSet components once per node', () => {
    let addon: HelmAddon<object> | undefined;
    synth((c) => {
      addon = new HelmAddon(c, 'A', 'mon', {
        chart: charts.kubePrometheusStack,
        project: 'p',
        namespace: 'monitoring',
        values: kubePrometheusStackValues({ domain: 'd', small: true }),
        perNode: ['prometheus-node-exporter'],
      });
    });
    expect(addon!.memoryLimitBytes(10) - addon!.memoryLimitBytes(1)).toBe(9 * 32 * MiB);
    expect(() =>
      synth(
        (c) =>
          new HelmAddon(c, 'A', 'x', {
            chart: charts.metallb,
            project: 'p',
            namespace: 'n',
            values: { a: { resources: { limits: { memory: '1Mi' } } } },
            perNode: ['speaker'],
          }),
      ),
    ).toThrow(/perNode path "speaker" has no resources.limits.memory/);
  });

  it('rejects ranges, plain http and values without memory limits', () => {
    expect(() =>
      synth(
        (c) =>
          new HelmAddon(c, 'A', 'x', {
            chart: { repoUrl: 'http://charts', chart: 'x', version: '^1.2' },
            project: 'p',
            namespace: 'n',
            values: { a: 1 },
          }),
      ),
    ).toThrow(
      /"\^1.2" must be an exact version[\s\S]*must be https:\/\/ or oci:\/\/[\s\S]*declare no memory limits/,
    );
  });
});

describe('monitoring', () => {
  it('a dashboard ConfigMap for the Grafana sidecar', () => {
    const [cm] = synth(
      (c) =>
        new GrafanaDashboard(c, 'D', 'svc', {
          namespace: 'monitoring',
          title: 'S',
          panels: [{ title: 'p', expr: 'up', unit: 'short' }],
        }),
    );
    expect(cm!.metadata.labels).toEqual({ grafana_dashboard: '1' });
    const dash = JSON.parse(cm!.data['svc.json']);
    expect(dash.panels[0].targets[0].expr).toBe('up');
    expect(() =>
      synth((c) => new GrafanaDashboard(c, 'D', 'svc', { namespace: 'm', title: 'S', panels: [] })),
    ).toThrow(/no panels/);
  });
  it('PrometheusRules with the standard alerts; duplicates rejected', () => {
    const [rule] = synth(
      (c) =>
        new AlertRules(c, 'R', 'r', {
          namespace: 'monitoring',
          groups: [{ name: 'g', rules: [alerts.deadLetters('q.dlq'), alerts.crashLoop('waste-coach')] }],
        }),
    );
    expect(rule!.spec.groups[0].rules.map((r: { alert: string }) => r.alert)).toEqual([
      'DeadLettersPresent',
      'CrashLoopingWasteCoach',
    ]);
    expect(rule!.spec.groups[0].rules[0].expr).toContain('queue="q.dlq"');
    expect(() =>
      synth(
        (c) =>
          new AlertRules(c, 'R', 'r', {
            namespace: 'm',
            groups: [{ name: 'g', rules: [alerts.deadLetters('a'), alerts.deadLetters('b')] }],
          }),
      ),
    ).toThrow(/declared twice/);
  });
});

describe('AwsSecretStore', () => {
  it('a ClusterSecretStore over Secrets Manager in the region', () => {
    const [store] = synth(
      (c) => new AwsSecretStore(c, 'S', 'aws-secrets-manager', { region: 'ap-northeast-2' }),
    );
    expect(store!.kind).toBe('ClusterSecretStore');
    expect(store!.spec).toEqual({
      provider: { aws: { service: 'SecretsManager', region: 'ap-northeast-2' } },
    });
    expect(() => synth((c) => new AwsSecretStore(c, 'S', 's', { region: 'Seoul' }))).toThrow(
      /"Seoul" is not an AWS region/,
    );
  });
});

describe('ScheduledJob', () => {
  it('no overlapping runs, restricted, pinned', () => {
    const objs = synth(
      (c) =>
        new ScheduledJob(c, 'J', 'cleanup', {
          namespace: 'n',
          schedule: '0 * * * *',
          partOf: 'p',
          memoryLimit: '64Mi',
          container: { name: 'c', image: 'busybox:1.37', command: ['true'] },
        }),
    );
    const cron = find(objs, 'CronJob');
    expect(cron.spec.concurrencyPolicy).toBe('Forbid');
    expect(
      cron.spec.jobTemplate.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem,
    ).toBe(true);
    expect(() =>
      synth(
        (c) =>
          new ScheduledJob(c, 'J', 'x', {
            namespace: 'n',
            schedule: 'hourly',
            partOf: 'p',
            memoryLimit: '64Mi',
            container: { name: 'c', image: 'busybox', command: [] },
          }),
      ),
    ).toThrow(/5 cron fields[\s\S]*must be pinned/);
  });
});

describe('capacity', () => {
  const deployment = (name: string, memory: string, role?: string, replicas = 1) => ({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, namespace: 'ns' },
    spec: {
      replicas,
      template: {
        spec: {
          ...(role ? { nodeSelector: { [nodeRoleKey(role as 'api')]: 'true' } } : {}),
          containers: [{ resources: { limits: { memory } } }],
        },
      },
    },
  });
  const prefix = 'node-role.hybrid.dev/';

  it('places pods by node selector and counts an autoscaler at its maximum', () => {
    const objs = [
      deployment('a', '256Mi', 'api', 2),
      {
        apiVersion: 'autoscaling/v2',
        kind: 'HorizontalPodAutoscaler',
        metadata: { name: 'a', namespace: 'ns' },
        spec: { maxReplicas: 4, scaleTargetRef: { kind: 'Deployment', name: 'a' } },
      },
      deployment('b', '1Gi'),
    ];
    const usage = manifestUsage(objs, prefix, (role) => role ?? 'api');
    expect(usage).toEqual([
      { who: 'ns/a', pool: 'api', replicas: 4, limitBytes: 256 * MiB },
      { who: 'ns/b', pool: 'api', replicas: 1, limitBytes: 1024 * MiB },
    ]);
    const [budget] = checkCapacity('c', [{ name: 'api', role: 'api', allocatableBytes: 4096 * MiB }], usage);
    expect(budget!.usedBytes).toBe(2048 * MiB);
  });

  it('fails with a table of who uses what when a pool is over', () => {
    const usage = manifestUsage(
      [deployment('big', '3Gi', 'api'), deployment('small', '512Mi', 'api')],
      prefix,
      (r) => r ?? 'api',
    );
    let err: unknown;
    try {
      checkCapacity('pi', [{ name: 'api', role: 'api', allocatableBytes: 3 * 1024 * MiB }], usage);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(CapacityError);
    const msg = (err as Error).message;
    expect(msg).toContain('pool api: 3584 MiB of 3072 MiB  OVER by 512 MiB');
    expect(msg).toMatch(/ns\/big\s+1\s+3072\s+3072/);
    expect(msg).toMatch(/ns\/small\s+1\s+512\s+512/);
  });

  it('rejects pods that land on no pool', () => {
    expect(() =>
      checkCapacity(
        'k',
        [{ name: 'api', role: 'api', allocatableBytes: MiB }],
        [{ who: 'x', pool: '(no gpu pool)', replicas: 1, limitBytes: 1 }],
      ),
    ).toThrow(/no pool for x/);
  });

  it('draws the budget bar', () => {
    expect(budgetBar(512 * MiB, 1024 * MiB, 10)).toBe('[#####-----] 512/1024 MiB (50%)');
  });
});
