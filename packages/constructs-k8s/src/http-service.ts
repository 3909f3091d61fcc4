import type { Construct } from 'constructs';
import { CatalogWorkload, type CatalogWorkloadProps } from './catalog-workload';

export type HttpServiceProps = CatalogWorkloadProps;

/** An HTTP API of the catalog (kind `http`), routed by the ingress under its route prefix. */
export class HttpService extends CatalogWorkload {
  /** The path prefix the ingress routes to this service. */
  readonly route: string;
  constructor(scope: Construct, id: string, props: HttpServiceProps) {
    super(scope, id, ['http'], props);
    this.route = props.workload.route ?? `/api/v1/${props.workload.name}`;
  }
}
