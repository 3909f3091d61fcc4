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
  /**
   * Security group of the ALB (e.g. the `alb_security_group_id` output of the cluster stack): the
   * controller attaches it instead of creating one and leaves the node rules alone, because
   * Terraform already admits this group to the NodePort range.
   * @default none: the controller creates a frontend security group and manages backend rules
   */
  readonly securityGroupId?: string;
  /** Extra annotations (e.g. policy acknowledgements). @default none */
  readonly annotations?: Readonly<Record<string, string>>;
}

/** Annotations for a Service behind an {@link AlbIngress}: the path the ALB health check requests. */
export const albBackendAnnotations = (healthCheckPath: string): Record<string, string> => ({
  'alb.ingress.kubernetes.io/healthcheck-path': healthCheckPath,
});

/**
 * An Ingress for the AWS Load Balancer Controller: HTTPS only, HTTP redirects, instance targets.
 * Pod addresses of an overlay network (Calico VXLAN) are not routable from the VPC, so the ALB
 * sends to every node's NodePort: each backend Service must be of type NodePort, and carries its
 * own health check path ({@link albBackendAnnotations}).
 */
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
    if (props.securityGroupId !== undefined && !/^sg-[0-9a-f]{8,17}$/.test(props.securityGroupId))
      problems.add(
        `AlbIngress "${name}": "${props.securityGroupId}" is not a security group id (sg-0123456789abcdef0)`,
      );
    problems.throwIfAny('AlbIngress');
    new k8s.KubeIngress(this, 'Resource', {
      metadata: {
        name,
        namespace: props.namespace,
        annotations: {
          'alb.ingress.kubernetes.io/scheme': 'internet-facing',
          'alb.ingress.kubernetes.io/target-type': 'instance',
          'alb.ingress.kubernetes.io/group.name': props.group,
          'alb.ingress.kubernetes.io/group.order': String(props.groupOrder ?? 100),
          'alb.ingress.kubernetes.io/listen-ports': '[{"HTTP": 80}, {"HTTPS": 443}]',
          'alb.ingress.kubernetes.io/ssl-redirect': '443',
          'alb.ingress.kubernetes.io/ssl-policy': 'ELBSecurityPolicy-TLS13-1-2-2021-06',
          ...(props.certificateArn
            ? { 'alb.ingress.kubernetes.io/certificate-arn': props.certificateArn }
            : {}),
          ...(props.securityGroupId
            ? {
                'alb.ingress.kubernetes.io/security-groups': props.securityGroupId,
                'alb.ingress.kubernetes.io/manage-backend-security-group-rules': 'false',
              }
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
