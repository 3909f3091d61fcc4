import imageLock from '../images.lock.json';
import { buildCatalog } from './catalog';
import { exchanges, queues } from './queues';
import { dataWorkloads } from './workloads/data';
import { drawguessWorkloads } from './workloads/drawguess';
import { wasteCoachWorkloads } from './workloads/waste-coach';

export * from './types';
export { buildCatalog, CatalogError, type Catalog, type CatalogInput } from './catalog';
export { envContract } from './env';
export { parseQuantity, toMiB } from './quantity';
export { tokenVerifierEnv } from './workloads/waste-coach';

/** The platform's catalog: every workload of both products, validated at import. */
export const catalog = buildCatalog({
  workloads: [
    ...drawguessWorkloads,
    ...wasteCoachWorkloads,
    ...dataWorkloads,
  ],
  queues,
  exchanges,
  images: imageLock,
});
