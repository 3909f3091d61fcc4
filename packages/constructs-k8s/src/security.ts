import { k8s } from './k8s';

/** The default non-root UID of the platform's own images. */
export const DEFAULT_UID = 10001;

/** Restricted container settings (Pod Security Standards "restricted"). */
export function restrictedContainer(): k8s.SecurityContext {
  return {
    allowPrivilegeEscalation: false,
    privileged: false,
    readOnlyRootFilesystem: true,
    runAsNonRoot: true,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** Restricted pod settings for a non-zero UID; the group owns mounted volumes. */
export function restrictedPod(uid: number): k8s.PodSecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: uid,
    runAsGroup: uid,
    fsGroup: uid,
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

/** emptyDir volumes and mounts for the paths a read-only container must write. */
export function writableDirs(paths: readonly string[]): { volumes: k8s.Volume[]; mounts: k8s.VolumeMount[] } {
  const volumes: k8s.Volume[] = [];
  const mounts: k8s.VolumeMount[] = [];
  paths.forEach((path, i) => {
    const name = `scratch-${i}`;
    volumes.push({ name, emptyDir: { sizeLimit: k8s.Quantity.fromString('64Mi') } });
    mounts.push({ name, mountPath: path });
  });
  return { volumes, mounts };
}
