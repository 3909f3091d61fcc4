import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { isDnsLabel, Problems } from './errors';
import { k8s } from './k8s';

export interface Panel {
  readonly title: string;
  /** PromQL. */
  readonly expr: string;
  /** Grafana unit, e.g. `s`, `reqps`, `percentunit`, `bytes`, `short`. */
  readonly unit: string;
  /** Legend, e.g. `{{service}}`. @default none */
  readonly legend?: string;
}

export interface GrafanaDashboardProps {
  readonly namespace: string;
  readonly title: string;
  readonly panels: readonly Panel[];
  /** Folder in Grafana. @default 'Platform' */
  readonly folder?: string;
}

/** A Grafana dashboard as a ConfigMap the Grafana sidecar picks up (label `grafana_dashboard`). */
export class GrafanaDashboard extends Construct {
  readonly dashboard: Record<string, unknown>;
  constructor(scope: Construct, id: string, name: string, props: GrafanaDashboardProps) {
    super(scope, id);
    const problems = new Problems();
    if (!isDnsLabel(name)) problems.add(`GrafanaDashboard "${name}": name must be a DNS label`);
    if (!props.panels.length) problems.add(`GrafanaDashboard "${name}": no panels`);
    for (const p of props.panels)
      if (!p.expr.trim()) problems.add(`GrafanaDashboard "${name}": panel "${p.title}" has no query`);
    problems.throwIfAny('GrafanaDashboard');
    this.dashboard = {
      uid: name,
      title: props.title,
      schemaVersion: 39,
      time: { from: 'now-6h', to: 'now' },
      refresh: '30s',
      templating: { list: [] },
      panels: props.panels.map((p, i) => ({
        id: i + 1,
        type: 'timeseries',
        title: p.title,
        gridPos: { h: 8, w: 12, x: (i % 2) * 12, y: Math.floor(i / 2) * 8 },
        fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
        targets: [{ refId: 'A', expr: p.expr, ...(p.legend ? { legendFormat: p.legend } : {}) }],
      })),
    };
    new k8s.KubeConfigMap(this, 'Resource', {
      metadata: {
        name: `dashboard-${name}`,
        namespace: props.namespace,
        labels: { grafana_dashboard: '1' },
        annotations: { grafana_folder: props.folder ?? 'Platform' },
      },
      data: { [`${name}.json`]: `${JSON.stringify(this.dashboard, null, 2)}\n` },
    });
  }
}

export interface Alert {
  readonly alert: string;
  readonly expr: string;
  /** @default '5m' */
  readonly for?: string;
  readonly severity: 'warning' | 'critical';
  readonly summary: string;
}

export interface AlertRulesProps {
  readonly namespace: string;
  readonly groups: readonly { readonly name: string; readonly rules: readonly Alert[] }[];
}

/** A PrometheusRule picked up by the Prometheus operator. */
export class AlertRules extends Construct {
  constructor(scope: Construct, id: string, name: string, props: AlertRulesProps) {
    super(scope, id);
    const problems = new Problems();
    const seen = new Set<string>();
    for (const g of props.groups) {
      for (const r of g.rules) {
        if (!/^[A-Z][A-Za-z0-9]*$/.test(r.alert))
          problems.add(`AlertRules "${name}": alert "${r.alert}" must be PascalCase`);
        if (seen.has(r.alert)) problems.add(`AlertRules "${name}": alert "${r.alert}" is declared twice`);
        seen.add(r.alert);
        if (!r.expr.trim()) problems.add(`AlertRules "${name}": alert "${r.alert}" has no expression`);
      }
    }
    problems.throwIfAny('AlertRules');
    new ApiObject(this, 'Resource', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'PrometheusRule',
      metadata: { name, namespace: props.namespace, labels: { release: 'kube-prometheus-stack' } },
      spec: {
        groups: props.groups.map((g) => ({
          name: g.name,
          rules: g.rules.map((r) => ({
            alert: r.alert,
            expr: r.expr,
            for: r.for ?? '5m',
            labels: { severity: r.severity },
            annotations: { summary: r.summary },
          })),
        })),
      },
    });
  }
}

/** Standard alerts for a namespace of catalog services. */
export const alerts = {
  crashLoop: (namespace: string): Alert => ({
    alert: `CrashLooping${pascal(namespace)}`,
    expr: `increase(kube_pod_container_status_restarts_total{namespace="${namespace}"}[15m]) > 3`,
    severity: 'critical',
    summary: `A container in ${namespace} restarted more than 3 times in 15 minutes.`,
  }),
  errorRate: (namespace: string, ratio = 0.05): Alert => ({
    alert: `HighErrorRate${pascal(namespace)}`,
    expr: `sum by (service) (rate(http_request_duration_seconds_count{namespace="${namespace}",status_code=~"5.."}[5m])) / sum by (service) (rate(http_request_duration_seconds_count{namespace="${namespace}"}[5m])) > ${ratio}`,
    severity: 'critical',
    summary: `More than ${ratio * 100}% of requests fail with 5xx.`,
  }),
  latencyP99: (namespace: string, seconds = 1): Alert => ({
    alert: `HighLatencyP99${pascal(namespace)}`,
    expr: `histogram_quantile(0.99, sum by (le, service) (rate(http_request_duration_seconds_bucket{namespace="${namespace}"}[5m]))) > ${seconds}`,
    severity: 'warning',
    summary: `p99 latency above ${seconds}s.`,
  }),
  queueDepth: (queues: readonly string[], max = 1000): Alert => ({
    alert: 'QueueBacklog',
    expr: `max by (queue) (rabbitmq_queue_messages_ready{queue=~"${queues.map(escapeRe).join('|')}"}) > ${max}`,
    for: '10m',
    severity: 'warning',
    summary: `A work queue holds more than ${max} ready messages.`,
  }),
  deadLetters: (queue: string): Alert => ({
    alert: 'DeadLettersPresent',
    expr: `max(rabbitmq_queue_messages{queue="${queue}"}) > 0`,
    for: '1m',
    severity: 'warning',
    summary: `Messages reached the dead-letter queue ${queue}.`,
  }),
  statefulSetDown: (namespace: string, name: string, what: string): Alert => ({
    alert: `${what}Down`,
    expr: `kube_statefulset_status_replicas_ready{namespace="${namespace}",statefulset="${name}"} < 1`,
    for: '2m',
    severity: 'critical',
    summary: `${what} (${namespace}/${name}) has no ready replica.`,
  }),
};

function pascal(s: string): string {
  return s.replace(/(^|-)([a-z0-9])/g, (_m, _d, c: string) => c.toUpperCase());
}
const escapeRe = (s: string) => s.replace(/[.]/g, '\\\\.');
