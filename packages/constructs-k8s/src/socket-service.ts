import type { Construct } from 'constructs';
import { CatalogWorkload, type CatalogWorkloadProps } from './catalog-workload';

export type SocketServiceProps = Omit<CatalogWorkloadProps, 'sessionAffinity'>;

/**
 * A Socket.IO server of the catalog (kind `socket`). Clients stick to one pod (long polling needs
 * it); replicas share rooms through the Redis adapter.
 */
export class SocketService extends CatalogWorkload {
  constructor(scope: Construct, id: string, props: SocketServiceProps) {
    super(scope, id, ['socket'], { ...props, sessionAffinity: true });
  }
}
