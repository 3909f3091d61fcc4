export * from './core';
export * from './sources';
export { terraformRules } from './terraform';
export { kubernetesRules } from './kubernetes';
