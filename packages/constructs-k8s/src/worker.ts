import type { Construct } from 'constructs';
import { CatalogWorkload, type CatalogWorkloadProps } from './catalog-workload';

export type WorkerProps = Omit<
  CatalogWorkloadProps,
  'serviceType' | 'sessionAffinity' | 'serviceAnnotations'
>;

/** A queue worker of the catalog (kind `worker`); its port serves only health and metrics. */
export class Worker extends CatalogWorkload {
  constructor(scope: Construct, id: string, props: WorkerProps) {
    super(scope, id, ['worker'], props);
  }
}
