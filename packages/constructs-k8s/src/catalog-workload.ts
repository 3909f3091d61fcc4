import { NODE_PORT_RANGE, nodeRoleKey, type Workload, type WorkloadKind } from '@hybrid/catalog';
import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { contractEnv, secretKeys, secretNameOf } from './env';
import { isDnsLabel, Problems } from './errors';
import { StoreSecret } from './external-secrets';
import { imageName } from './image';
import { k8s } from './k8s';
import { labelsOf, selectorLabels } from './labels';
import { AllowPolicy, type Rule } from './network-policy';
import { DEFAULT_UID, restrictedContainer, restrictedPod, writableDirs } from './security';

export interface CatalogWorkloadProps {
  readonly workload: Workload;
  readonly namespace: string;
  /** Non-secret env values that override the contract's defaults (required ones without default go here). @default {} */
  readonly env?: Readonly<Record<string, string>>;
  /** Registry host (and path) in front of the catalog image. @default none (the runtime's default registry) */
  readonly imageRegistry?: string;
  /** Non-root UID the container runs as. @default 10001 */
  readonly runAsUser?: number;
  /** Paths the read-only container may write (emptyDir each). @default ['/tmp'] */
  readonly writablePaths?: readonly string[];
  /** Who may connect to the port. @default nobody (the namespace's default deny) */
  readonly allowFrom?: readonly Rule[];
  /** Where the pods may connect (DNS is always allowed). @default nowhere but DNS */
  readonly allowTo?: readonly Rule[];
  /** Service type (`NodePort` for instance targets of an ALB). @default 'ClusterIP' */
  readonly serviceType?: 'ClusterIP' | 'NodePort' | 'LoadBalancer';
  /** Fixed node port of a NodePort or LoadBalancer Service, in 30000-32767. @default assigned by the API server */
  readonly nodePort?: number;
  /** Service annotations (e.g. MetalLB's address pool). @default none */
  readonly serviceAnnotations?: Readonly<Record<string, string>>;
  /** Keep clients on one pod (Socket.IO long polling). @default false */
  readonly sessionAffinity?: boolean;
  /** Target average CPU utilisation of the HorizontalPodAutoscaler. @default 70 */
  readonly targetCpuPercent?: number;
  /** Provide secret variables through an ExternalSecret from this ClusterSecretStore. @default none (the Secret is provisioned out of band) */
  readonly secretStore?: string;
  /** Path in the secret store of the workload's secrets. @default `<namespace>/<workload>` */
  readonly secretPath?: string;
  /** Label that makes Prometheus pick up the ServiceMonitor. @default { release: 'kube-prometheus-stack' } */
  readonly monitorLabels?: Readonly<Record<string, string>>;
}

const PORT_NAME = 'http';

/**
 * A served workload from its catalog entry: Deployment, Service, ServiceAccount (no token),
 * PodDisruptionBudget when it has more than one replica, HorizontalPodAutoscaler when it scales,
 * NetworkPolicy, ServiceMonitor and (with a secret store) an ExternalSecret.
 */
export abstract class CatalogWorkload extends Construct {
  readonly workload: Workload;
  readonly namespace: string;
  readonly name: string;
  readonly port: number;
  readonly image: string;
  readonly selector: Record<string, string>;
  readonly deployment: k8s.KubeDeployment;
  readonly service: k8s.KubeService;

  protected constructor(
    scope: Construct,
    id: string,
    kinds: readonly WorkloadKind[],
    props: CatalogWorkloadProps,
  ) {
    super(scope, id);
    const w = props.workload;
    const who = `${new.target.name} "${w.name}"`;
    const problems = new Problems();
    if (!kinds.includes(w.kind))
      problems.add(
        `${who}: catalog kind is "${w.kind}"; ${new.target.name} deploys ${kinds.join(' or ')} workloads`,
      );
    if (w.cluster === 'aws') problems.add(`${who}: the workload runs on AWS, not in a cluster`);
    if (w.port === undefined) problems.add(`${who}: the catalog entry has no port`);
    if (!isDnsLabel(props.namespace))
      problems.add(`${who}: namespace "${props.namespace}" is not a DNS label`);
    const uid = props.runAsUser ?? DEFAULT_UID;
    if (!Number.isInteger(uid) || uid <= 0)
      problems.add(`${who}: runAsUser ${uid} must be a non-zero UID (root is not allowed)`);
    const cpuTarget = props.targetCpuPercent ?? 70;
    if (!(cpuTarget > 0 && cpuTarget <= 100))
      problems.add(`${who}: targetCpuPercent ${cpuTarget} must be in (0, 100]`);
    if (props.nodePort !== undefined) {
      if ((props.serviceType ?? 'ClusterIP') === 'ClusterIP')
        problems.add(`${who}: nodePort ${props.nodePort} needs serviceType NodePort or LoadBalancer`);
      if (
        !Number.isInteger(props.nodePort) ||
        props.nodePort < NODE_PORT_RANGE.from ||
        props.nodePort > NODE_PORT_RANGE.to
      )
        problems.add(
          `${who}: nodePort ${props.nodePort} is outside ${NODE_PORT_RANGE.from}-${NODE_PORT_RANGE.to}`,
        );
    }
    const env = contractEnv(w, props.env ?? {}, problems, who);
    this.image = imageName(w.image, w.imageRef, props.imageRegistry, problems, who);
    problems.throwIfAny(new.target.name);

    this.workload = w;
    this.namespace = props.namespace;
    this.name = w.name;
    this.port = w.port!;
    this.selector = selectorLabels(w.name);
    const labels = labelsOf(w);
    const meta = { name: w.name, namespace: props.namespace, labels };
    const scales = w.replicas.max > w.replicas.min;
    const scratch = writableDirs(props.writablePaths ?? ['/tmp']);
    const role = w.placement?.nodeRole;

    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: meta,
      automountServiceAccountToken: false,
    });

    const probe = (path: string, period: number, failures: number): k8s.Probe => ({
      httpGet: { path, port: k8s.IntOrString.fromString(PORT_NAME) },
      periodSeconds: period,
      timeoutSeconds: 2,
      failureThreshold: failures,
    });
    const resources: k8s.ResourceRequirements = {
      requests: {
        cpu: k8s.Quantity.fromString(w.resources.requests.cpu),
        memory: k8s.Quantity.fromString(w.resources.requests.memory),
      },
      limits: {
        memory: k8s.Quantity.fromString(w.resources.limits.memory),
        ...(w.resources.limits.cpu ? { cpu: k8s.Quantity.fromString(w.resources.limits.cpu) } : {}),
      },
    };
    const shutdownMs = Number(env.find((e) => e.name === 'SHUTDOWN_TIMEOUT_MS')?.value ?? '10000');

    this.deployment = new k8s.KubeDeployment(this, 'Resource', {
      metadata: meta,
      spec: {
        ...(scales ? {} : { replicas: w.replicas.min }),
        revisionHistoryLimit: 5,
        selector: { matchLabels: this.selector },
        strategy: {
          type: 'RollingUpdate',
          rollingUpdate: {
            maxUnavailable: k8s.IntOrString.fromNumber(0),
            maxSurge: k8s.IntOrString.fromNumber(1),
          },
        },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: w.name,
            automountServiceAccountToken: false,
            securityContext: restrictedPod(uid),
            terminationGracePeriodSeconds: Math.ceil(shutdownMs / 1000) + 5,
            ...(role
              ? {
                  nodeSelector: { [nodeRoleKey(role)]: 'true' },
                  tolerations: [
                    { key: nodeRoleKey(role), operator: 'Equal', value: 'true', effect: 'NoSchedule' },
                  ],
                }
              : {}),
            ...(w.replicas.max > 1
              ? {
                  topologySpreadConstraints: [
                    {
                      maxSkew: 1,
                      topologyKey: 'kubernetes.io/hostname',
                      whenUnsatisfiable: 'ScheduleAnyway',
                      labelSelector: { matchLabels: this.selector },
                    },
                  ],
                }
              : {}),
            containers: [
              {
                name: w.name,
                image: this.image,
                imagePullPolicy: 'IfNotPresent',
                // The image runs `node dist/main.js` (its CMD); flags NODE_OPTIONS refuses go here.
                ...(w.nodeFlags.length ? { args: ['node', ...w.nodeFlags, 'dist/main.js'] } : {}),
                ports: [{ name: PORT_NAME, containerPort: this.port, protocol: 'TCP' }],
                env,
                resources,
                securityContext: restrictedContainer(),
                startupProbe: probe(w.probes.health, 2, 30),
                livenessProbe: probe(w.probes.health, 10, 3),
                readinessProbe: probe(w.probes.ready, 5, 2),
                volumeMounts: scratch.mounts,
              },
            ],
            volumes: scratch.volumes,
          },
        },
      },
    });

    this.service = new k8s.KubeService(this, 'Service', {
      metadata: {
        ...meta,
        ...(props.serviceAnnotations ? { annotations: { ...props.serviceAnnotations } } : {}),
      },
      spec: {
        type: props.serviceType ?? 'ClusterIP',
        selector: this.selector,
        ports: [
          {
            name: PORT_NAME,
            port: this.port,
            targetPort: k8s.IntOrString.fromString(PORT_NAME),
            protocol: 'TCP',
            ...(props.nodePort !== undefined ? { nodePort: props.nodePort } : {}),
          },
        ],
        ...(props.sessionAffinity ? { sessionAffinity: 'ClientIP' } : {}),
        // Keep the client's address (affinity, logs and the NetworkPolicy need it) instead of the
        // node's: a node without a ready pod fails the load balancer's health check and gets no traffic.
        ...(props.serviceType === 'LoadBalancer' || props.serviceType === 'NodePort'
          ? { externalTrafficPolicy: 'Local' }
          : {}),
      },
    });

    if (w.replicas.min > 1) {
      new k8s.KubePodDisruptionBudget(this, 'Pdb', {
        metadata: meta,
        spec: { maxUnavailable: k8s.IntOrString.fromNumber(1), selector: { matchLabels: this.selector } },
      });
    }
    if (scales) {
      new k8s.KubeHorizontalPodAutoscalerV2(this, 'Hpa', {
        metadata: meta,
        spec: {
          scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: w.name },
          minReplicas: w.replicas.min,
          maxReplicas: w.replicas.max,
          metrics: [
            {
              type: 'Resource',
              resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: cpuTarget } },
            },
          ],
        },
      });
    }

    new AllowPolicy(this, 'NetworkPolicy', w.name, {
      namespace: props.namespace,
      podLabels: this.selector,
      labels,
      ingress: [
        ...(props.allowFrom ?? []),
        {
          peers: [{ namespace: 'monitoring', podLabels: { 'app.kubernetes.io/name': 'prometheus' } }],
          ports: [this.port],
        },
      ],
      egress: props.allowTo ?? [],
    });

    new ApiObject(this, 'ServiceMonitor', {
      apiVersion: 'monitoring.coreos.com/v1',
      kind: 'ServiceMonitor',
      metadata: {
        ...meta,
        labels: { ...labels, ...(props.monitorLabels ?? { release: 'kube-prometheus-stack' }) },
      },
      spec: {
        selector: { matchLabels: this.selector },
        endpoints: [{ port: PORT_NAME, path: w.probes.metrics, interval: '30s' }],
      },
    });

    const keys = secretKeys(w);
    if (props.secretStore && keys.length) {
      new StoreSecret(this, 'ExternalSecret', secretNameOf(w.name), {
        namespace: props.namespace,
        store: props.secretStore,
        remoteKey: props.secretPath ?? `${props.namespace}/${w.name}`,
        keys,
        labels,
      });
    }
  }
}
