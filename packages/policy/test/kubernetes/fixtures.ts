import { kubernetesResource, type PolicyResource, type UnitContext } from '../../src';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- fixtures are untyped manifests
type Obj = Record<string, any>;

const labels = { 'app.kubernetes.io/name': 'api' };

/** A Deployment that passes every rule of the pack. */
export function goodDeployment(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'api', namespace: 'apps' },
    spec: {
      replicas: 2,
      selector: { matchLabels: labels },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
      template: {
        metadata: { labels },
        spec: {
          serviceAccountName: 'api',
          automountServiceAccountToken: false,
          securityContext: {
            runAsNonRoot: true,
            runAsUser: 10001,
            seccompProfile: { type: 'RuntimeDefault' },
          },
          containers: [
            {
              name: 'api',
              image: 'hybrid/api:1.2.3',
              ports: [{ name: 'http', containerPort: 8000 }],
              env: [
                { name: 'LOG_LEVEL', value: 'info' },
                {
                  name: 'DATABASE_URL',
                  valueFrom: { secretKeyRef: { name: 'api-secrets', key: 'DATABASE_URL' } },
                },
              ],
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
              securityContext: {
                allowPrivilegeEscalation: false,
                readOnlyRootFilesystem: true,
                capabilities: { drop: ['ALL'] },
              },
              livenessProbe: { httpGet: { path: '/health', port: 'http' } },
              readinessProbe: { httpGet: { path: '/ready', port: 'http' } },
            },
          ],
        },
      },
    },
  };
}

/** The rest of a healthy namespace around the Deployment. */
export function neighbours(): Obj[] {
  return [
    {
      apiVersion: 'v1',
      kind: 'ServiceAccount',
      metadata: { name: 'api', namespace: 'apps' },
      automountServiceAccountToken: false,
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'api', namespace: 'apps' },
      spec: { selector: labels, ports: [{ name: 'http', port: 8000, targetPort: 'http' }] },
    },
    {
      apiVersion: 'policy/v1',
      kind: 'PodDisruptionBudget',
      metadata: { name: 'api', namespace: 'apps' },
      spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'default-deny', namespace: 'apps' },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    },
    {
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: { name: 'api', namespace: 'apps' },
      spec: {
        minReplicas: 2,
        maxReplicas: 4,
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'api' },
      },
    },
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'Ingress',
      metadata: { name: 'api', namespace: 'apps' },
      spec: {
        rules: [
          {
            http: {
              paths: [
                {
                  path: '/api',
                  pathType: 'Prefix',
                  backend: { service: { name: 'api', port: { number: 8000 } } },
                },
              ],
            },
          },
        ],
      },
    },
  ];
}

export function unit(objs: Obj[]): UnitContext {
  return { unit: 'test', resources: objs.map((o) => kubernetesResource('test', o)) };
}

/** Runs one rule over the object at `index` with the whole set as context. */
export function resourceOf(ctx: UnitContext, kind: string): PolicyResource {
  const r = ctx.resources.find((x) => x.body.kind === kind);
  if (!r) throw new Error(`no ${kind}`);
  return r;
}

export const clone = <T>(o: T): T => structuredClone(o);
