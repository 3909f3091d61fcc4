/**
 * The one place that imports cdk8s-plus: its generated, typed Kubernetes API objects. Moving to a
 * newer cdk8s-plus is a change to this file only.
 */
export { k8s } from 'cdk8s-plus-27';
