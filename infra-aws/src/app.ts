import type { App } from 'cdktn';
import { environments, type Environment } from './environments';
import { ClusterStack } from './stacks/cluster-stack';
import { EdgeStack } from './stacks/edge-stack';
import { StateStack } from './stacks/state-stack';

export interface HybridStacks {
  readonly state: StateStack;
  readonly edge: EdgeStack;
  readonly cluster: ClusterStack;
}

/** Adds `state-<env>`, `edge-<env>` and `cluster-<env>` for every environment. */
export function buildApp(
  app: App,
  envs: readonly Environment[] = Object.values(environments),
): Record<string, HybridStacks> {
  const out: Record<string, HybridStacks> = {};
  for (const env of envs) {
    out[env.name] = {
      state: new StateStack(app, `state-${env.name}`, env),
      edge: new EdgeStack(app, `edge-${env.name}`, env),
      cluster: new ClusterStack(app, `cluster-${env.name}`, env),
    };
  }
  return out;
}
