import { Construct } from 'constructs';
import { isDnsLabel, Problems } from './errors';
import { k8s } from './k8s';
import { selectorLabels, workloadLabels } from './labels';
import { AllowPolicy, type Rule } from './network-policy';
import { restrictedContainer, restrictedPod, writableDirs } from './security';

export interface JobContainer {
  readonly name: string;
  readonly image: string;
  readonly command: readonly string[];
  readonly env?: readonly k8s.EnvVar[];
}

export interface ScheduledJobProps {
  readonly namespace: string;
  /** Cron schedule (5 fields, UTC). */
  readonly schedule: string;
  /** The main container. */
  readonly container: JobContainer;
  /** Containers run before it, in order (e.g. a dump before the upload). @default none */
  readonly initContainers?: readonly JobContainer[];
  readonly memoryLimit: string;
  /** @default '50m' */
  readonly cpuRequest?: string;
  /** Non-root UID. @default 10001 */
  readonly runAsUser?: number;
  /** `app.kubernetes.io/part-of` of the objects (containers share /scratch and /tmp, both emptyDir). */
  readonly partOf: string;
  /** Where the pod may connect (DNS always). @default nowhere */
  readonly allowTo?: readonly Rule[];
  /** Seconds before a run is killed. @default 3600 */
  readonly activeDeadlineSeconds?: number;
  /** Node role to run on. @default anywhere */
  readonly nodeSelector?: Readonly<Record<string, string>>;
  readonly tolerations?: readonly k8s.Toleration[];
}

/** A CronJob with restricted containers, no overlapping runs and a NetworkPolicy. */
export class ScheduledJob extends Construct {
  constructor(scope: Construct, id: string, name: string, props: ScheduledJobProps) {
    super(scope, id);
    const problems = new Problems();
    if (!isDnsLabel(name) || name.length > 52)
      problems.add(`ScheduledJob "${name}": name must be a DNS label of at most 52 characters`);
    if (props.schedule.trim().split(/\s+/).length !== 5)
      problems.add(`ScheduledJob "${name}": schedule "${props.schedule}" must have 5 cron fields`);
    for (const c of [props.container, ...(props.initContainers ?? [])]) {
      if (/:latest$/.test(c.image) || !/[:@]/.test(c.image.split('/').pop() ?? ''))
        problems.add(`ScheduledJob "${name}": image "${c.image}" must be pinned by tag or digest`);
    }
    problems.throwIfAny('ScheduledJob');
    const labels = workloadLabels(name, props.partOf, 'job');
    const uid = props.runAsUser ?? 10001;
    const scratch = writableDirs(['/scratch', '/tmp']);
    const container = (c: JobContainer): k8s.Container => ({
      name: c.name,
      image: c.image,
      imagePullPolicy: 'IfNotPresent',
      command: [...c.command],
      env: [...(c.env ?? [])],
      resources: {
        requests: {
          cpu: k8s.Quantity.fromString(props.cpuRequest ?? '50m'),
          memory: k8s.Quantity.fromString(props.memoryLimit),
        },
        limits: { memory: k8s.Quantity.fromString(props.memoryLimit) },
      },
      securityContext: restrictedContainer(),
      volumeMounts: scratch.mounts,
    });
    new k8s.KubeServiceAccount(this, 'ServiceAccount', {
      metadata: { name, namespace: props.namespace, labels },
      automountServiceAccountToken: false,
    });
    new k8s.KubeCronJob(this, 'Resource', {
      metadata: { name, namespace: props.namespace, labels },
      spec: {
        schedule: props.schedule,
        timeZone: 'Etc/UTC',
        concurrencyPolicy: 'Forbid',
        successfulJobsHistoryLimit: 3,
        failedJobsHistoryLimit: 3,
        jobTemplate: {
          spec: {
            backoffLimit: 2,
            activeDeadlineSeconds: props.activeDeadlineSeconds ?? 3600,
            template: {
              metadata: { labels },
              spec: {
                restartPolicy: 'Never',
                serviceAccountName: name,
                automountServiceAccountToken: false,
                securityContext: restrictedPod(uid),
                ...(props.nodeSelector ? { nodeSelector: { ...props.nodeSelector } } : {}),
                ...(props.tolerations ? { tolerations: [...props.tolerations] } : {}),
                ...(props.initContainers?.length
                  ? { initContainers: props.initContainers.map(container) }
                  : {}),
                containers: [container(props.container)],
                volumes: scratch.volumes,
              },
            },
          },
        },
      },
    });
    new AllowPolicy(this, 'NetworkPolicy', name, {
      namespace: props.namespace,
      podLabels: selectorLabels(name),
      labels,
      ingress: [],
      egress: props.allowTo ?? [],
    });
  }
}
