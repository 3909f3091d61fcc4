import { Construct } from 'constructs';
import { isDnsLabel, Problems } from './errors';
import { k8s } from './k8s';
import { selectorLabels, workloadLabels } from './labels';

export interface TailscaleRouterProps {
  readonly namespace: string;
  /** Routes advertised to the tailnet (the Pi's LAN / MetalLB pool). */
  readonly advertiseRoutes: readonly string[];
  /** Image. @default 'tailscale/tailscale:v1.86.5' */
  readonly image?: string;
  /** Host name on the tailnet. @default 'pi-router' */
  readonly hostname?: string;
}

const CIDR = /^\d{1,3}(\.\d{1,3}){3}\/\d{1,2}$/;
const ACK = 'ack.policy.hybrid.dev/';

/**
 * The Tailscale subnet router of the Pi: joins the tailnet with an auth key from Secret
 * `tailscale-auth`, advertises the Pi's routes and accepts the AWS side's (so the game server
 * reaches RDS through the tunnel). It needs the host network and NET_ADMIN to route for the node;
 * those exceptions are acknowledged on the object with their reason.
 */
export class TailscaleRouter extends Construct {
  constructor(scope: Construct, id: string, props: TailscaleRouterProps) {
    super(scope, id);
    const name = 'tailscale-router';
    const problems = new Problems();
    if (!props.advertiseRoutes.length) problems.add(`TailscaleRouter: advertise at least one route`);
    for (const r of props.advertiseRoutes)
      if (!CIDR.test(r)) problems.add(`TailscaleRouter: route "${r}" is not a CIDR`);
    const hostname = props.hostname ?? 'pi-router';
    if (!isDnsLabel(hostname)) problems.add(`TailscaleRouter: hostname "${hostname}" is not a DNS label`);
    const image = props.image ?? 'tailscale/tailscale:v1.86.5';
    if (/:latest$/.test(image) || !image.includes(':'))
      problems.add(`TailscaleRouter: image "${image}" must be pinned`);
    problems.throwIfAny('TailscaleRouter');
    const labels = workloadLabels(name, 'drawguess', 'tunnel');
    const meta = { name, namespace: props.namespace, labels };
    const why =
      'kernel-mode subnet router: routes tunnel traffic for the node, needs host network, root and NET_ADMIN';
    const tokenWhy = 'tailscale stores its node state in Secret tailscale-state through the API';
    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { ...meta, annotations: { [`${ACK}K8S-SA-001`]: tokenWhy } },
      automountServiceAccountToken: true,
    });
    new k8s.KubeRole(this, 'Role', {
      metadata: meta,
      rules: [
        {
          apiGroups: [''],
          resources: ['secrets'],
          resourceNames: ['tailscale-state'],
          verbs: ['get', 'update', 'patch'],
        },
        // tailscale creates its state Secret on first start; RBAC cannot limit create by
        // resourceName, so this is create on secrets of this namespace only.
        { apiGroups: [''], resources: ['secrets'], verbs: ['create'] },
      ],
    });
    new k8s.KubeRoleBinding(this, 'RoleBinding', {
      metadata: meta,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name },
      subjects: [{ kind: 'ServiceAccount', name, namespace: props.namespace }],
    });
    new k8s.KubeDeployment(this, 'Resource', {
      metadata: {
        ...meta,
        annotations: {
          [`${ACK}K8S-POD-001`]: why,
          [`${ACK}K8S-POD-003`]: why,
          [`${ACK}K8S-POD-006`]: why,
          [`${ACK}K8S-SA-001`]: tokenWhy,
          [`${ACK}K8S-SEC-001`]: 'TS_KUBE_SECRET holds the name of the state Secret, not a secret value',
        },
      },
      spec: {
        replicas: 1,
        selector: { matchLabels: selectorLabels(name) },
        strategy: { type: 'Recreate' },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: name,
            hostNetwork: true,
            dnsPolicy: 'ClusterFirstWithHostNet',
            securityContext: { seccompProfile: { type: 'RuntimeDefault' } },
            containers: [
              {
                name: 'tailscale',
                image,
                imagePullPolicy: 'IfNotPresent',
                env: [
                  { name: 'TS_KUBE_SECRET', value: 'tailscale-state' },
                  {
                    name: 'TS_AUTHKEY',
                    valueFrom: { secretKeyRef: { name: 'tailscale-auth', key: 'TS_AUTHKEY' } },
                  },
                  { name: 'TS_HOSTNAME', value: hostname },
                  { name: 'TS_ROUTES', value: props.advertiseRoutes.join(',') },
                  { name: 'TS_USERSPACE', value: 'false' },
                  { name: 'TS_EXTRA_ARGS', value: '--accept-routes' },
                ],
                resources: {
                  requests: { cpu: k8s.Quantity.fromString('20m'), memory: k8s.Quantity.fromString('48Mi') },
                  limits: { memory: k8s.Quantity.fromString('128Mi') },
                },
                securityContext: {
                  runAsUser: 0,
                  runAsNonRoot: false,
                  allowPrivilegeEscalation: false,
                  privileged: false,
                  readOnlyRootFilesystem: true,
                  capabilities: { drop: ['ALL'], add: ['NET_ADMIN', 'NET_RAW'] },
                  seccompProfile: { type: 'RuntimeDefault' },
                },
                livenessProbe: {
                  exec: { command: ['tailscale', 'status', '--peers=false'] },
                  periodSeconds: 30,
                  timeoutSeconds: 5,
                },
                readinessProbe: {
                  exec: { command: ['tailscale', 'status', '--peers=false'] },
                  periodSeconds: 10,
                  timeoutSeconds: 5,
                },
                volumeMounts: [
                  { name: 'tun', mountPath: '/dev/net/tun' },
                  { name: 'tmp', mountPath: '/tmp' },
                  { name: 'run', mountPath: '/var/run/tailscale' },
                ],
              },
            ],
            volumes: [
              { name: 'tun', hostPath: { path: '/dev/net/tun', type: 'CharDevice' } },
              { name: 'tmp', emptyDir: { sizeLimit: k8s.Quantity.fromString('16Mi') } },
              { name: 'run', emptyDir: { sizeLimit: k8s.Quantity.fromString('1Mi') } },
            ],
          },
        },
      },
    });
  }
}
