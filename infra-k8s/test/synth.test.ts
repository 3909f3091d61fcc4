import { resolve } from 'node:path';
import { catalog, NODE_PORT_RANGE } from '@hybrid/catalog';
import { parse } from 'yaml';
import { withoutAws } from '../src/architecture';
import { buildKubeadm } from '../src/clusters/kubeadm';
import { buildPi } from '../src/clusters/pi';
import { configFromEnv, defaultConfig } from '../src/config';
import { diffOutputs, summary, synthAll, synthCluster, type SynthResult } from '../src/synth';
import { validateObjects } from '../src/validate';

const root = resolve(__dirname, '../..');
let result: SynthResult;

beforeAll(async () => {
  result = await synthAll(configFromEnv({}), root);
});

describe('synth', () => {
  it('fresh synth equals the committed dist and docs/architecture.md (run `pnpm synth` and commit)', () => {
    expect(
      diffOutputs(result, resolve(root, 'infra-k8s/dist'), resolve(root, 'docs/architecture.md'), root),
    ).toEqual([]);
  });

  it('writes <folder>/<kind>-<name>.yaml with stable readable names', () => {
    for (const c of result.clusters) {
      for (const [file, text] of c.files) {
        const o = parse(text) as { kind: string; metadata: { name: string } };
        expect(file).toBe(`${file.split('/')[0]}/${o.kind.toLowerCase()}-${o.metadata.name}.yaml`);
        expect(o.metadata.name).not.toMatch(/-[0-9a-f]{8}$/);
      }
    }
    expect([...result.clusters[0]!.files.keys()]).toContain('game/deployment-game-server.yaml');
    expect([...result.clusters[1]!.files.keys()]).toContain('waste-coach/ingress-waste-coach-api.yaml');
  });

  it('every object validates against the Kubernetes, ArgoCD and CRD schemas', async () => {
    const all = result.clusters.flatMap((c) => c.objects);
    expect(all.length).toBeGreaterThan(100);
    expect(await validateObjects(all)).toEqual([]);
  });

  it('deploys every catalog workload of each cluster', () => {
    for (const c of result.clusters) {
      const names = new Set(
        c.objects
          .filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet')
          .map((o) => o.metadata?.name),
      );
      expect([...c.build.namespaces.keys()].filter((n) => !names.has(n))).toEqual([]);
    }
    const kubeadm = result.clusters[1]!;
    expect(kubeadm.build.namespaces.size).toBe(12);
  });

  it('routes every API under its catalog route on the ALB', () => {
    const ing = result.clusters[1]!.objects.find(
      (o) => o.kind === 'Ingress' && o.metadata?.name === 'waste-coach-api',
    ) as { spec: { rules: { http: { paths: { path: string }[] } }[] } };
    expect(ing.spec.rules[0]!.http.paths.map((p) => p.path).sort()).toEqual(
      ['auth', 'character', 'chat', 'info', 'location', 'my', 'scan'].map((s) => `/api/v1/${s}`),
    );
  });

  it('prints a summary with objects per kind and a memory bar', () => {
    const s = summary(result.clusters[0]!);
    expect(s).toMatch(/^pi: \d+ objects in 5 folders/);
    expect(s).toMatch(/Deployment 2/);
    expect(s).toMatch(/memory pi\s+\[#+-*\] \d+\/3584 MiB \(\d+%\)/);
  });
});

type PolicyPeer = {
  ipBlock?: { cidr: string };
  namespaceSelector?: { matchLabels: Record<string, string> };
  podSelector?: { matchLabels: Record<string, string> };
};
type PolicyRule = { to?: PolicyPeer[]; from?: PolicyPeer[]; ports?: { port: number; protocol: string }[] };
type Policy = { spec: { egress?: PolicyRule[]; ingress?: PolicyRule[] } };

const kubeadmPolicy = (name: string): Policy =>
  result.clusters[1]!.objects.find((o) => o.kind === 'NetworkPolicy' && o.metadata?.name === name) as Policy;
const podPeer = (namespace: string, name: string) => ({
  namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': namespace } },
  podSelector: { matchLabels: { 'app.kubernetes.io/name': name } },
});
/** The peers a rule list allows on one TCP port. */
const peersOn = (rules: PolicyRule[] | undefined, port: number, side: 'to' | 'from'): PolicyPeer[] =>
  (rules ?? [])
    .filter((r) => !r.ports || r.ports.some((p) => p.port === port && p.protocol === 'TCP'))
    .flatMap((r) => r[side] ?? []);

describe('network policies give every workload the paths it uses', () => {
  it('every token verifier (AUTH_DENYLIST_URL) reaches the auth Redis, and that Redis admits it', () => {
    const redis = catalog.get(catalog.get('auth').dependencies.redis!.server);
    const verifiers = catalog
      .byCluster('kubeadm')
      .filter((w) => 'AUTH_DENYLIST_URL' in w.env)
      .map((w) => w.name)
      .sort();
    expect(verifiers).toEqual(['character', 'chat', 'my', 'scan']);
    const admitted = peersOn(kubeadmPolicy(redis.name).spec.ingress, redis.port!, 'from');
    for (const name of verifiers) {
      expect([name, peersOn(kubeadmPolicy(name).spec.egress, redis.port!, 'to')]).toEqual([
        name,
        expect.arrayContaining([podPeer('data', redis.name)]),
      ]);
      expect([name, admitted]).toEqual([name, expect.arrayContaining([podPeer('waste-coach', name)])]);
    }
  });

  it('exactly the pods that use the instance role reach instance metadata (169.254.169.254:80)', () => {
    const imds = result.clusters
      .flatMap((c) => c.objects)
      .filter((o) => o.kind === 'NetworkPolicy')
      .filter((o) =>
        peersOn((o as Policy).spec.egress, 80, 'to').some((p) => p.ipBlock?.cidr === '169.254.169.254/32'),
      )
      .map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`)
      .sort();
    expect(imds).toEqual([
      'data/postgres-backup',
      'waste-coach/scan',
      'waste-coach/worker-ai',
      'waste-coach/worker-storage',
    ]);
  });
});

type Svc = {
  metadata: { name: string; namespace: string; annotations?: Record<string, string> };
  spec: { type?: string; externalTrafficPolicy?: string; ports: { port: number; nodePort?: number }[] };
};
type Ing = {
  metadata: { name: string; namespace: string; annotations: Record<string, string> };
  spec: {
    ingressClassName: string;
    rules: { http: { paths: { backend: { service: { name: string; port: { number: number } } } }[] } }[];
  };
};
const albIngresses = (objects: readonly { kind?: string }[]): Ing[] =>
  objects
    .filter((o) => o.kind === 'Ingress')
    .map((o) => o as unknown as Ing)
    .filter((i) => i.spec.ingressClassName === 'alb');
/** The Service a Helm add-on renders for an ALB backend, from the Application's values. */
type HelmSvc = { type?: string; nodePort?: number; annotations?: Record<string, string> };
const helmBackends: Record<string, { app: string; service: (values: unknown) => HelmSvc }> = {
  'argo-cd-argocd-server': {
    app: 'argo-cd',
    service: (v) => {
      const svc = (v as { server: { service?: HelmSvc & { nodePortHttp?: number } } }).server.service;
      return {
        ...(svc?.type ? { type: svc.type } : {}),
        ...(svc?.nodePortHttp ? { nodePort: svc.nodePortHttp } : {}),
        ...(svc?.annotations ? { annotations: svc.annotations } : {}),
      };
    },
  },
  'kube-prometheus-stack-grafana': {
    app: 'kube-prometheus-stack',
    service: (v) => (v as { grafana: { service?: HelmSvc } }).grafana.service ?? {},
  },
};

describe('the ALB reaches its backends through the node ports Terraform opens', () => {
  // The cluster stack admits the ALB security group to this range on the nodes: one constant in
  // @hybrid/catalog for both sides (the AWS rule's ports are asserted in constructs-aws's tests).
  const range = NODE_PORT_RANGE;

  it('every ALB Ingress uses instance targets and every backend is a NodePort Service in that range', () => {
    const kubeadm = result.clusters[1]!;
    const ings = albIngresses(kubeadm.objects);
    expect(ings.map((i) => i.metadata.name).sort()).toEqual(['argocd', 'grafana', 'waste-coach-api']);
    const used = new Map<number, string>();
    const expectedHealth: Record<string, string> = {
      'argo-cd-argocd-server': '/healthz',
      'kube-prometheus-stack-grafana': '/api/health',
    };
    for (const ing of ings) {
      expect([ing.metadata.name, ing.metadata.annotations['alb.ingress.kubernetes.io/target-type']]).toEqual([
        ing.metadata.name,
        'instance',
      ]);
      for (const path of ing.spec.rules.flatMap((r) => r.http.paths)) {
        const { name, port } = path.backend.service;
        const rendered = kubeadm.objects.find(
          (o) =>
            o.kind === 'Service' &&
            o.metadata?.name === name &&
            o.metadata?.namespace === ing.metadata.namespace,
        ) as Svc | undefined;
        let spec: Svc['spec'];
        let annotations: Record<string, string> | undefined;
        if (rendered) {
          spec = rendered.spec;
          annotations = rendered.metadata.annotations;
        } else {
          const h = helmBackends[name];
          expect([name, h]).toEqual([name, expect.anything()]);
          const app = kubeadm.objects.find(
            (o) => o.kind === 'Application' && o.metadata?.name === h!.app,
          ) as unknown as {
            spec: { source: { helm: { valuesObject: unknown } } };
          };
          const svc = h!.service(app.spec.source.helm.valuesObject);
          spec = { ...(svc.type ? { type: svc.type } : {}), ports: [{ port: 80, nodePort: svc.nodePort! }] };
          annotations = svc.annotations;
        }
        const sp = spec.ports.find((p) => p.port === port.number);
        expect([name, spec.type]).toEqual([name, 'NodePort']);
        expect([name, sp?.nodePort]).toEqual([name, expect.any(Number)]);
        expect(sp?.nodePort).toBeGreaterThanOrEqual(range.from);
        expect(sp?.nodePort).toBeLessThanOrEqual(range.to);
        expect([name, used.get(sp!.nodePort!)]).toEqual([name, undefined]);
        used.set(sp!.nodePort!, name);
        expect([name, annotations?.['alb.ingress.kubernetes.io/healthcheck-path']]).toEqual([
          name,
          expectedHealth[name] ?? '/health',
        ]);
        // Rendered backends keep the ALB's source address, which their NetworkPolicy admits.
        if (rendered) expect([name, spec.externalTrafficPolicy]).toEqual([name, 'Local']);
      }
    }
    expect(used.size).toBe(9);
  });

  it('without ALB_SECURITY_GROUP_ID the controller manages the security group', () => {
    for (const ing of albIngresses(result.clusters[1]!.objects))
      expect(ing.metadata.annotations).not.toHaveProperty('alb.ingress.kubernetes.io/security-groups');
  });

  it('ALB_SECURITY_GROUP_ID gives every Ingress of the group the Terraform ALB security group', async () => {
    const cfg = configFromEnv({ ALB_SECURITY_GROUP_ID: 'sg-0a1b2c3d4e5f60718' });
    const kubeadm = await synthCluster(buildKubeadm(cfg));
    const ings = albIngresses(kubeadm.objects);
    expect(ings).toHaveLength(3);
    for (const ing of ings)
      expect(ing.metadata.annotations).toMatchObject({
        'alb.ingress.kubernetes.io/security-groups': 'sg-0a1b2c3d4e5f60718',
        'alb.ingress.kubernetes.io/manage-backend-security-group-rules': 'false',
      });
  });
});

describe('the HorizontalPodAutoscalers have resource metrics', () => {
  type Hpa = {
    metadata: { name: string; namespace: string };
    spec: { scaleTargetRef: { kind: string; name: string }; metrics: { type: string }[] };
  };
  type App = {
    metadata: { name: string };
    spec: {
      destination: { namespace: string };
      source: { chart?: string; targetRevision: string; helm?: { valuesObject: { args?: string[] } } };
    };
  };

  it('every HPA scales an existing workload by a resource metric', () => {
    for (const c of result.clusters) {
      for (const hpa of c.objects.filter((o) => o.kind === 'HorizontalPodAutoscaler') as unknown as Hpa[]) {
        const ref = hpa.spec.scaleTargetRef;
        const target = c.objects.find(
          (o) =>
            o.kind === ref.kind &&
            o.metadata?.name === ref.name &&
            o.metadata?.namespace === hpa.metadata.namespace,
        );
        expect([hpa.metadata.name, ref.kind, target?.metadata?.name]).toEqual([
          hpa.metadata.name,
          'Deployment',
          ref.name,
        ]);
        expect(hpa.spec.metrics.map((m) => m.type)).toContain('Resource');
      }
    }
  });

  it('kubeadm, with nine HPAs, runs metrics-server from a pinned chart (kubelet TLS as the README says)', () => {
    const kubeadm = result.clusters[1]!;
    expect(kubeadm.objects.filter((o) => o.kind === 'HorizontalPodAutoscaler')).toHaveLength(9);
    const ms = kubeadm.objects.find(
      (o) => o.kind === 'Application' && (o as unknown as App).spec.source.chart === 'metrics-server',
    ) as unknown as App | undefined;
    expect(ms?.spec.destination.namespace).toBe('kube-system');
    expect(ms?.spec.source.targetRevision).toMatch(/^\d+\.\d+\.\d+$/);
    // kubeadm's kubelets serve self-signed certificates (no serverTLSBootstrap).
    expect(ms?.spec.source.helm?.valuesObject.args).toEqual(['--kubelet-insecure-tls']);
    // No default-deny NetworkPolicy in kube-system stands between it, the kubelets and the API server.
    expect(
      kubeadm.objects.filter((o) => o.kind === 'NetworkPolicy' && o.metadata?.namespace === 'kube-system'),
    ).toEqual([]);
  });

  it('the only cluster with HPAs and no metrics-server Application is the Pi (a known gap in the README)', () => {
    const without = result.clusters
      .filter((c) => c.objects.some((o) => o.kind === 'HorizontalPodAutoscaler'))
      .filter(
        (c) =>
          !c.objects.some(
            (o) => o.kind === 'Application' && (o as unknown as App).spec.source.chart === 'metrics-server',
          ),
      )
      .map((c) => c.name);
    expect(without).toEqual(['pi']);
  });
});

describe('secrets the kubeadm apps read', () => {
  it('every Secret key a waste-coach pod reads is made by an ExternalSecret in waste-coach', () => {
    type Ref = { name: string; key: string; optional?: boolean };
    const objs = result.clusters[1]!.objects.filter((o) => o.metadata?.namespace === 'waste-coach');
    const made = new Map<string, string[]>();
    for (const o of objs.filter((x) => x.kind === 'ExternalSecret')) {
      const spec = (o as unknown as { spec: { target: { name: string }; data: { secretKey: string }[] } })
        .spec;
      made.set(
        spec.target.name,
        spec.data.map((d) => d.secretKey),
      );
    }
    const refs = JSON.stringify(objs.filter((o) => o.kind === 'Deployment' || o.kind === 'CronJob'));
    const wanted = [...refs.matchAll(/"secretKeyRef":(\{[^}]*\})/g)].map((m) => JSON.parse(m[1]!) as Ref);
    expect(wanted.length).toBeGreaterThan(10);
    const missing = wanted
      .filter((r) => !r.optional && !made.get(r.name)?.includes(r.key))
      .map((r) => `${r.name}/${r.key}`);
    expect(missing).toEqual([]);
  });
});

describe('snapshots (one per chart)', () => {
  for (const cluster of ['pi', 'kubeadm']) {
    it(`${cluster}`, () => {
      const c = result.clusters.find((x) => x.name === cluster)!;
      for (const folder of c.build.folders.keys()) {
        const files = [...c.files.entries()].filter(([f]) => f.startsWith(`${folder}/`));
        expect(Object.fromEntries(files)).toMatchSnapshot(`${cluster}/${folder}`);
      }
    });
  }
});

describe('checks that fail the synth', () => {
  it('capacity: a Pi with a large system reserve is over budget, with the table', async () => {
    const cfg = configFromEnv({ PI_SYSTEM_RESERVE_MIB: '1536' });
    await expect(synthCluster(buildPi(cfg))).rejects.toThrow(
      /cluster "pi" is over its memory budget:\n {2}pool pi: \d+ MiB of 2560 MiB {2}OVER by \d+ MiB[\s\S]*game\/game-server\s+3\s+256\s+768/,
    );
  });

  it('bad configuration names the variable', () => {
    expect(() => configFromEnv({ PI_SYSTEM_RESERVE_MIB: 'lots', KUBEADM_TOPOLOGY: 'huge' })).toThrow(
      /KUBEADM_TOPOLOGY="huge" is not one of tiered-4, per-service-14[\s\S]*PI_SYSTEM_RESERVE_MIB="lots" must be a whole number/,
    );
  });

  it('a bad K8S_ENVIRONMENT names the variable', () => {
    expect(() => configFromEnv({ K8S_ENVIRONMENT: 'staging' })).toThrow(
      /K8S_ENVIRONMENT="staging" is not one of dev, prod/,
    );
    expect(configFromEnv({}).environment).toBe('prod');
    expect(configFromEnv({ K8S_ENVIRONMENT: 'dev' }).kubeadm.clusterName).toBe('waste-coach-dev');
  });

  it('add-ons pin the infra pool only when the topology has one', () => {
    const infraPinned = (topology: string) => {
      const build = buildKubeadm(configFromEnv({ KUBEADM_TOPOLOGY: topology }));
      const apps = build.folders.get('argocd')!.toJson() as { kind: string; spec?: unknown }[];
      const addons = apps.filter(
        (o) => o.kind === 'Application' && JSON.stringify(o.spec).includes('"helm"'),
      );
      expect(addons.length).toBeGreaterThanOrEqual(6);
      return addons.filter((o) => JSON.stringify(o.spec).includes('node-role.hybrid.dev/infra')).length;
    };
    expect(infraPinned('tiered-4')).toBe(0);
    expect(infraPinned('per-service-14')).toBeGreaterThanOrEqual(6);
  });

  it('configuration from the environment reaches the manifests', async () => {
    const cfg = configFromEnv({
      IMAGE_REGISTRY: 'ghcr.io/acme',
      ACM_CERTIFICATE_ARN: 'arn:aws:acm:ap-northeast-2:123456789012:certificate/x-1',
      KUBEADM_TOPOLOGY: 'per-service-14',
    });
    expect(cfg.imageRegistry).toBe('ghcr.io/acme');
    const pi = await synthCluster(buildPi(cfg));
    const dep = pi.objects.find((o) => o.kind === 'Deployment' && o.metadata?.name === 'game-server') as {
      spec: { template: { spec: { containers: { image: string }[] } } };
    };
    expect(dep.spec.template.spec.containers[0]!.image).toMatch(/^ghcr\.io\/acme\/hybrid\/game-server:/);
    expect(defaultConfig.imageRegistry).toBeUndefined();
  });
});

describe('architecture document', () => {
  it('draws both clusters, the tunnel and the AWS side from the catalog and the constructs', () => {
    const doc = result.architecture;
    expect(doc.match(/```mermaid/g)?.length).toBe(4);
    expect(doc).toContain('## Cluster `pi`');
    expect(doc).toContain('## Cluster `kubeadm`');
    expect(doc).toMatch(/kubeadm_scan -->\|amqp\| kubeadm_rabbitmq/);
    expect(doc).toMatch(/kubeadm_alb -->\|\/api\/v1\/auth\| kubeadm_auth/);
    expect(doc).toMatch(/pi_game_server -->\|postgres drawguess\| ext_rds/);
    expect(withoutAws(doc)).not.toContain('flowchart LR\n  subgraph aws');
  });
});

describe('schema validation errors', () => {
  const base = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: 'n' } };
  it('a Deployment without a selector and a template', async () => {
    const errs = await validateObjects([{ ...base, spec: { replicas: 'two' } }]);
    expect(errs.length).toBeGreaterThan(0);
    expect(errs[0]!.object).toBe('Deployment/n/x');
  });
  it('an ArgoCD Application with a wrong field type', async () => {
    const errs = await validateObjects([
      {
        apiVersion: 'argoproj.io/v1alpha1',
        kind: 'Application',
        metadata: { name: 'a' },
        spec: { project: 1, destination: {}, source: {} },
      },
    ]);
    expect(errs.length).toBeGreaterThan(0);
  });
  it('CRDs without a model are checked structurally', async () => {
    const errs = await validateObjects([
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'ServiceMonitor',
        metadata: { name: 's' },
        spec: { endpoints: [] },
      },
      {
        apiVersion: 'monitoring.coreos.com/v1',
        kind: 'PrometheusRule',
        metadata: { name: 'r' },
        spec: { groups: [{ name: 'g', rules: [{ alert: 'A', expr: 'up', for: 'soon' }] }] },
      },
      {
        apiVersion: 'external-secrets.io/v1',
        kind: 'ExternalSecret',
        metadata: { name: 'e' },
        spec: { secretStoreRef: { name: 's', kind: 'Vault' } },
      },
      { apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: { name: 'p' }, spec: {} },
    ]);
    expect(errs.map((e) => e.message)).toEqual([
      'spec.selector must be a label selector',
      'spec.endpoints must be a non-empty list',
      'spec.groups[0].rules[0].for "soon" is not a duration',
      'spec.secretStoreRef needs a name and kind SecretStore or ClusterSecretStore',
      'spec.target.name is required',
      'spec.data must be a non-empty list',
      'spec.addresses must be a non-empty list of ranges',
    ]);
  });
  it('an unknown kind has no schema', async () => {
    expect(
      await validateObjects([{ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }]),
    ).toEqual([
      {
        object: 'Widget/w',
        message: 'no schema for example.com/v1/Widget: add a model or a structural check',
      },
    ]);
  });
});
