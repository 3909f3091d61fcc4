import { compliant, nonCompliant, notApplicable, type Rule } from '../core';
import type { UnitContext } from '../sources';
import { coversPort, flatRules, INTERNET } from './util';

/** Ports that administer or store something: never reachable from the whole internet. */
export const ADMIN_PORTS: Readonly<Record<number, string>> = {
  22: 'SSH',
  3389: 'RDP',
  6443: 'Kubernetes API',
  2379: 'etcd',
  2380: 'etcd peer',
  10250: 'kubelet',
  5432: 'PostgreSQL',
  3306: 'MySQL',
  6379: 'Redis',
  5672: 'AMQP',
  15672: 'RabbitMQ management',
  9090: 'Prometheus',
};

export const sgNoInternetAdminPorts: Rule<UnitContext> = {
  id: 'TF-SG-003',
  meaning:
    'No ingress from 0.0.0.0/0 or ::/0 to administration or database ports (SSH, RDP, 6443, etcd, kubelet, PostgreSQL, Redis, AMQP ...).',
  reason:
    'These ports are scanned within minutes of exposure; a weak credential or a CVE then means full compromise.',
  mirrors: [
    'checkov CKV_AWS_24',
    'checkov CKV_AWS_25',
    'checkov CKV_AWS_277',
    'Trivy AVD-AWS-0107',
    'cdk-nag AwsSolutions-EC23',
  ],
  appliesTo: ['aws_vpc_security_group_ingress_rule', 'aws_security_group_rule', 'aws_security_group'],
  check(r) {
    const rules = flatRules(r).filter((x) => x.direction === 'ingress');
    if (!rules.length) return notApplicable;
    for (const x of rules) {
      if (!x.cidrs.some((c) => INTERNET.includes(c))) continue;
      const port = Object.keys(ADMIN_PORTS)
        .map(Number)
        .find((p) => coversPort(x, p));
      if (port !== undefined) return nonCompliant(`${ADMIN_PORTS[port]} (${port}) is open to the internet`);
    }
    return compliant;
  },
};
