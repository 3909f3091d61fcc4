import imageLock from '../images.lock.json';
import { buildCatalog } from './catalog';
import { exchanges, queues } from './queues';
import { dataWorkloads } from './workloads/data';
import { drawguessWorkloads } from './workloads/drawguess';
import { wasteCoachWorkloads } from './workloads/waste-coach';

export * from './types';
export { ACCOUNT_DELETED, accountQueues } from './queues';
export { buildCatalog, CatalogError, topicMatches, type Catalog, type CatalogInput } from './catalog';
export { envContract } from './env';
export * from './environments';
export { parseQuantity, toMiB } from './quantity';
export { postgresBackupBucketBase } from './workloads/data';
export { tokenVerifierEnv } from './workloads/waste-coach';

/** Every workload as declared (before allocation and defaults). */
export const workloadSpecs = [...drawguessWorkloads, ...wasteCoachWorkloads, ...dataWorkloads];

/** The platform's catalog: every workload of both products, validated at import. */
export const catalog = buildCatalog({
  workloads: workloadSpecs,
  queues,
  exchanges,
  images: imageLock,
});
export * from './topology';
