import { Construct } from 'constructs';
import { isDnsLabel, Problems } from './errors';
import { k8s } from './k8s';

export interface IngressRoute {
  /** Path prefix, e.g. `/api/v1/auth`. */
  readonly path: string;
  readonly service: string;
  readonly port: number;
}

export interface AlbIngressProps {
  readonly namespace: string;
  readonly routes: readonly IngressRoute[];
  /** Ingresses with the same group share one ALB. */
  readonly group: string;
  /** Public host name. */
  readonly host: string;
  /** ACM certificate for TLS. @default none: the controller discovers a certificate for the host */
  readonly certificateArn?: string;
  /** Order inside the group (lower first). @default 100 */
  readonly groupOrder?: number;
  /** Extra annotations (e.g. policy acknowledgements). @default none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** An Ingress for the AWS Load Balancer Controller: HTTPS only, HTTP redirects, IP targets. */
export class AlbIngress extends Construct {
  constructor(scope: Construct, id: string, name: string, props: AlbIngressProps) {
    super(scope, id);
    const problems = new Problems();
    if (!props.routes.length) problems.add(`AlbIngress "${name}": no routes`);
    const seen = new Set<string>();
    for (const r of props.routes) {
      if (!/^\/[a-z0-9/-]*$/.test(r.path))
        problems.add(`AlbIngress "${name}": path "${r.path}" must be an absolute lowercase path`);
      if (seen.has(r.path)) problems.add(`AlbIngress "${name}": path "${r.path}" is routed twice`);
      seen.add(r.path);
      if (!isDnsLabel(r.service))
        problems.add(`AlbIngress "${name}": service "${r.service}" is not a DNS label`);
    }
    if (
      props.certificateArn !== undefined &&
      !/^arn:aws:acm:[a-z0-9-]+:[0-9]{12}:certificate\/[A-Za-z0-9-]+$/.test(props.certificateArn)
    ) {
      problems.add(`AlbIngress "${name}": "${props.certificateArn}" is not an ACM certificate ARN`);
    }
    problems.throwIfAny('AlbIngress');
    new k8s.KubeIngress(this, 'Resource', {
      metadata: {
        name,
        namespace: props.namespace,
        annotations: {
          'alb.ingress.kubernetes.io/scheme': 'internet-facing',
          'alb.ingress.kubernetes.io/target-type': 'ip',
          'alb.ingress.kubernetes.io/group.name': props.group,
          'alb.ingress.kubernetes.io/group.order': String(props.groupOrder ?? 100),
          'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP": 80}, {"HTTPS": 443}]',
          'alb.ingress.kubernetes.io/ssl-redirect': '443',
          'alb.ingress.kubernetes.io/ssl-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
          'alb.ingress.kubernetes.io/healthcheck-path': '/health',
          ...(props.certificateArn
            ? { 'alb.ingress.kubernetes.io/certificate-arn': props.certificateArn }
            : {}),
          ...(props.annotations ?? {}),
        },
      },
      spec: {
        ingressClassName: 'alb',
        tls: [{ hosts: [props.host] }],
        rules: [
          {
            host: props.host,
            http: {
              paths: props.routes.map((r) => ({
                path: r.path,
                pathType: 'Prefix',
                backend: { service: { name: r.service, port: { number: r.port } } },
              })),
            },
          },
        ],
      },
    });
  }
}
