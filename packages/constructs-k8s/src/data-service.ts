import { nodeRoleKey, type DataEngine, type Workload } from '@hybrid/catalog';
import { Construct } from 'constructs';
import { isDnsLabel, Problems } from './errors';
import { imageName } from './image';
import { k8s } from './k8s';
import { labelsOf, selectorLabels } from './labels';
import { AllowPolicy, type Rule } from './network-policy';
import { restrictedContainer, restrictedPod, writableDirs } from './security';

export interface DataServiceProps {
  readonly workload: Workload;
  readonly namespace: string;
  /** Size of the data volume. @default '10Gi' */
  readonly storage?: string;
  /** StorageClass of the data volume. @default the cluster's default class */
  readonly storageClass?: string;
  /** Registry host in front of the image. @default none */
  readonly imageRegistry?: string;
  /** Who may connect. @default nobody */
  readonly allowFrom?: readonly Rule[];
}

export interface EngineSpec {
  readonly engine: DataEngine;
  /** UID of the image's service user. */
  readonly uid: number;
  readonly dataPath: string;
  readonly writablePaths: readonly string[];
  readonly command?: readonly string[];
  readonly args?: readonly string[];
  readonly env: readonly k8s.EnvVar[];
  readonly configMounts: readonly k8s.VolumeMount[];
  readonly configVolumes: readonly k8s.Volume[];
  readonly probe: k8s.Probe;
  /** Extra ports besides the main one (e.g. RabbitMQ's management API). */
  readonly extraPorts?: readonly { readonly name: string; readonly port: number }[];
}

/** Validates a data workload's props; shared by Postgres, Redis and RabbitMQ. */
export function checkDataProps(
  kind: string,
  engine: DataEngine,
  props: DataServiceProps,
): { problems: Problems; image: string } {
  const w = props.workload;
  const who = `${kind} "${w.name}"`;
  const problems = new Problems();
  if (w.kind !== 'data' || w.engine !== engine)
    problems.add(`${who}: catalog entry is ${w.engine ?? w.kind}; ${kind} deploys ${engine} data workloads`);
  if (w.external) problems.add(`${who}: the workload is external (${w.cluster}); nothing to deploy`);
  if (w.port === undefined) problems.add(`${who}: the catalog entry has no port`);
  if (!isDnsLabel(props.namespace)) problems.add(`${who}: namespace "${props.namespace}" is not a DNS label`);
  const storage = props.storage ?? '10Gi';
  if (!/^[0-9]+(Mi|Gi|Ti)$/.test(storage))
    problems.add(`${who}: storage "${storage}" must be a size like 10Gi`);
  const image = imageName(w.image, w.imageRef, props.imageRegistry, problems, who);
  return { problems, image };
}

/**
 * A single-replica StatefulSet with a data volume claim, a headless Service, a ServiceAccount
 * without token, and a NetworkPolicy that only lets the given clients in.
 */
export class DataStatefulSet extends Construct {
  readonly statefulSet: k8s.KubeStatefulSet;
  constructor(scope: Construct, id: string, props: DataServiceProps, image: string, spec: EngineSpec) {
    super(scope, id);
    const w = props.workload;
    const port = w.port!;
    const selector = selectorLabels(w.name);
    const labels = labelsOf(w);
    const meta = { name: w.name, namespace: props.namespace, labels };
    const role = w.placement?.nodeRole;
    const scratch = writableDirs(spec.writablePaths);
    const ports = [{ name: spec.engine, port }, ...(spec.extraPorts ?? [])];

    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: meta,
      automountServiceAccountToken: false,
    });
    new k8s.KubeService(this, 'Service', {
      metadata: meta,
      spec: {
        clusterIp: 'None',
        selector,
        ports: ports.map((p) => ({
          name: p.name,
          port: p.port,
          targetPort: k8s.IntOrString.fromString(p.name),
          protocol: 'TCP',
        })),
      },
    });
    this.statefulSet = new k8s.KubeStatefulSet(this, 'Resource', {
      metadata: meta,
      spec: {
        serviceName: w.name,
        replicas: 1,
        selector: { matchLabels: selector },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: w.name,
            automountServiceAccountToken: false,
            securityContext: restrictedPod(spec.uid),
            ...(role
              ? {
                  nodeSelector: { [nodeRoleKey(role)]: 'true' },
                  tolerations: [
                    { key: nodeRoleKey(role), operator: 'Equal', value: 'true', effect: 'NoSchedule' },
                  ],
                }
              : {}),
            containers: [
              {
                name: w.name,
                image,
                imagePullPolicy: 'IfNotPresent',
                ...(spec.command ? { command: [...spec.command] } : {}),
                ...(spec.args ? { args: [...spec.args] } : {}),
                ports: ports.map((p) => ({ name: p.name, containerPort: p.port, protocol: 'TCP' })),
                env: [...spec.env],
                resources: {
                  requests: {
                    cpu: k8s.Quantity.fromString(w.resources.requests.cpu),
                    memory: k8s.Quantity.fromString(w.resources.requests.memory),
                  },
                  limits: {
                    memory: k8s.Quantity.fromString(w.resources.limits.memory),
                    ...(w.resources.limits.cpu
                      ? { cpu: k8s.Quantity.fromString(w.resources.limits.cpu) }
                      : {}),
                  },
                },
                securityContext: restrictedContainer(),
                livenessProbe: {
                  ...spec.probe,
                  periodSeconds: 10,
                  failureThreshold: 6,
                  initialDelaySeconds: 30,
                },
                readinessProbe: { ...spec.probe, periodSeconds: 5, failureThreshold: 3 },
                volumeMounts: [
                  { name: 'data', mountPath: spec.dataPath },
                  ...spec.configMounts,
                  ...scratch.mounts,
                ],
              },
            ],
            volumes: [...spec.configVolumes, ...scratch.volumes],
          },
        },
        volumeClaimTemplates: [
          {
            metadata: { name: 'data', labels: selector },
            spec: {
              accessModes: ['ReadWriteOnce'],
              ...(props.storageClass ? { storageClassName: props.storageClass } : {}),
              resources: { requests: { storage: k8s.Quantity.fromString(props.storage ?? '10Gi') } },
            },
          },
        ],
      },
    });
    new AllowPolicy(this, 'NetworkPolicy', w.name, {
      namespace: props.namespace,
      podLabels: selector,
      labels,
      ingress: [...(props.allowFrom ?? [])],
      egress: [],
    });
  }
}
