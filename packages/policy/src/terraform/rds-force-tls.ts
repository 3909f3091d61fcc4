import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { blocks, refersTo, str } from './util';

const TLS_PARAM: Record<string, string> = {
  postgres: 'rds.force_ssl',
  mysql: 'require_secure_transport',
  mariadb: 'require_secure_transport',
};

export const rdsForceTls: Rule<UnitContext> = {
  id: 'TF-RDS-006',
  meaning:
    'PostgreSQL and MySQL instances use a parameter group from the same stack that forces TLS (rds.force_ssl / require_secure_transport = 1).',
  reason: 'Without it clients may connect in plain text and leak credentials and rows on the network.',
  mirrors: ['checkov CKV2_AWS_69', 'cdk-nag HIPAA.Security-RDSInTransitEncryption (SSL requirement)'],
  appliesTo: ['aws_db_instance'],
  check(r, ctx) {
    const engine = str(r.body.engine);
    const param = Object.entries(TLS_PARAM).find(([e]) => engine.startsWith(e))?.[1];
    if (!param) return notApplicable;
    const group = ctx.resources.find(
      (o) => o.type === 'aws_db_parameter_group' && refersTo(r.body.parameter_group_name, o),
    );
    if (!group)
      return nonCompliant(
        'parameter_group_name does not name a parameter group of this stack (the default one allows plain text)',
      );
    const forced = blocks(group.body.parameter).some(
      (p) => p.name === param && ['1', 'ON', 'on', 1].includes(p.value as string),
    );
    return forced ? compliant : nonCompliant(`parameter group ${group.address} does not set ${param} = 1`);
  },
};
