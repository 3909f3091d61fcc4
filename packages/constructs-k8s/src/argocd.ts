import { ApiObject } from 'cdk8s';
import { Construct } from 'constructs';
import { isDnsLabel, Problems } from './errors';

export const ARGOCD_NAMESPACE = 'argocd';

/** Automated sync with prune and self-heal, retried with exponential backoff. */
export const syncPolicy = (createNamespace: boolean) => ({
  automated: { prune: true, selfHeal: true },
  syncOptions: [...(createNamespace ? ['CreateNamespace=true'] : []), 'ServerSideApply=true'],
  retry: { limit: 5, backoff: { duration: '10s', factor: 2, maxDuration: '5m' } },
});

export interface ApplicationManifestProps {
  readonly project: string;
  /** Where the ArgoCD `source` comes from (a Git folder or a Helm chart). */
  readonly source: Record<string, unknown>;
  /** Destination namespace of the objects. */
  readonly namespace: string;
  /** Sync wave (lower first). @default none */
  readonly wave?: number | undefined;
  /** Let ArgoCD create the destination namespace. */
  readonly createNamespace: boolean;
}

/**
 * The manifest of an ArgoCD Application in the argocd namespace: optional sync wave, the resources
 * finalizer (its objects are deleted with it), the in-cluster destination and automated sync.
 */
export function applicationManifest(name: string, props: ApplicationManifestProps) {
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: {
      name,
      namespace: ARGOCD_NAMESPACE,
      ...(props.wave !== undefined
        ? { annotations: { 'argocd.argoproj.io/sync-wave': String(props.wave) } }
        : {}),
      finalizers: ['resources-finalizer.argocd.argoproj.io'],
    },
    spec: {
      project: props.project,
      source: props.source,
      destination: { server: 'https://kubernetes.default.svc', namespace: props.namespace },
      syncPolicy: syncPolicy(props.createNamespace),
    },
  };
}

export interface AppProjectProps {
  readonly repoUrl: string;
  /** Namespaces the project may deploy to. */
  readonly namespaces: readonly string[];
  /** Helm repositories the project may use. @default none */
  readonly helmRepos?: readonly string[];
  readonly description: string;
}

/** An ArgoCD AppProject limited to its repositories and namespaces. */
export class AppProject extends Construct {
  readonly projectName: string;
  constructor(scope: Construct, id: string, name: string, props: AppProjectProps) {
    super(scope, id);
    this.projectName = name;
    new ApiObject(this, 'Resource', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name, namespace: ARGOCD_NAMESPACE },
      spec: {
        description: props.description,
        sourceRepos: [props.repoUrl, ...(props.helmRepos ?? [])],
        destinations: props.namespaces.map((namespace) => ({
          server: 'https://kubernetes.default.svc',
          namespace,
        })),
        clusterResourceWhitelist: [{ group: '*', kind: '*' }],
      },
    });
  }
}

export interface GitApplicationProps {
  readonly project: string;
  readonly repoUrl: string;
  /** @default 'main' */
  readonly revision?: string;
  /** Folder in the repository. */
  readonly path: string;
  /** Default namespace of the objects. */
  readonly namespace: string;
  /** Sync wave (lower first). @default none */
  readonly wave?: number;
}

/** An ArgoCD Application of one committed folder. */
export class GitApplication extends Construct {
  constructor(scope: Construct, id: string, name: string, props: GitApplicationProps) {
    super(scope, id);
    const problems = new Problems();
    if (!isDnsLabel(name)) problems.add(`GitApplication "${name}": name must be a DNS label`);
    if (props.path.startsWith('/') || props.path.includes('..'))
      problems.add(`GitApplication "${name}": path "${props.path}" must be relative to the repository root`);
    problems.throwIfAny('GitApplication');
    new ApiObject(
      this,
      'Resource',
      applicationManifest(name, {
        project: props.project,
        source: {
          repoURL: props.repoUrl,
          targetRevision: props.revision ?? 'main',
          path: props.path,
          directory: { recurse: true },
        },
        namespace: props.namespace,
        wave: props.wave,
        createNamespace: false,
      }),
    );
  }
}

export interface FolderApplicationSetProps {
  readonly project: string;
  readonly repoUrl: string;
  /** @default 'main' */
  readonly revision?: string;
  /** Folders to generate from, e.g. `infra-k8s/dist/kubeadm/*`. */
  readonly include: string;
  /** Folders left out (e.g. the argocd folder itself). */
  readonly exclude?: readonly string[];
}

/** One Application per committed folder (git directory generator); the folder name is the app and namespace. */
export class FolderApplicationSet extends Construct {
  constructor(scope: Construct, id: string, name: string, props: FolderApplicationSetProps) {
    super(scope, id);
    new ApiObject(this, 'Resource', {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'ApplicationSet',
      metadata: { name, namespace: ARGOCD_NAMESPACE },
      spec: {
        goTemplate: true,
        goTemplateOptions: ['missingkey=error'],
        generators: [
          {
            git: {
              repoURL: props.repoUrl,
              revision: props.revision ?? 'main',
              directories: [
                { path: props.include },
                ...(props.exclude ?? []).map((path) => ({ path, exclude: true })),
              ],
            },
          },
        ],
        template: {
          metadata: { name: '{{.path.basename}}', finalizers: ['resources-finalizer.argocd.argoproj.io'] },
          spec: {
            project: props.project,
            source: {
              repoURL: props.repoUrl,
              targetRevision: props.revision ?? 'main',
              path: '{{.path.path}}',
              directory: { recurse: true },
            },
            destination: { server: 'https://kubernetes.default.svc', namespace: '{{.path.basename}}' },
            syncPolicy: syncPolicy(false),
          },
        },
      },
    });
  }
}
