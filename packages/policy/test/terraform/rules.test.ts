import {
  runRules,
  terraformResources,
  terraformRules,
  validatePack,
  type Rule,
  type UnitContext,
} from '../../src';
import { fixtures } from './fixtures';

function judge(rule: Rule<UnitContext>, tf: Record<string, unknown>, target: string) {
  const resources = terraformResources('fixture', tf);
  const res = resources.find((r) => r.address === `fixture/${target}`);
  if (!res) throw new Error(`fixture has no ${target}`);
  if (!rule.appliesTo.includes(res.type)) throw new Error(`${rule.id} does not apply to ${res.type}`);
  return rule.check(res, { unit: 'fixture', resources });
}

describe('Terraform rule pack', () => {
  it('has at least 30 rules, each with an id, meaning, reason and upstream ids', () => {
    expect(terraformRules.length).toBeGreaterThanOrEqual(30);
    expect(validatePack(terraformRules as Rule<never>[])).toEqual([]);
    for (const r of terraformRules) expect(r.id).toMatch(/^TF-[A-Z0-9]+-\d{3}$/);
  });

  it('has a fixture for every rule and no fixture without a rule', () => {
    expect(Object.keys(fixtures).sort()).toEqual(terraformRules.map((r) => r.id).sort());
  });

  describe.each(terraformRules.map((r) => [r.id, r] as const))('%s', (id, rule) => {
    const fx = fixtures[id];
    it('passes its compliant fixture', () => {
      expect(fx).toBeDefined();
      expect(judge(rule, fx!.pass, fx!.target).status).toBe('compliant');
    });
    it('fails its non-compliant fixture with a message', () => {
      const v = judge(rule, fx!.fail, fx!.target);
      expect(v.status).toBe('non-compliant');
      if (v.status === 'non-compliant') expect(v.message.length).toBeGreaterThan(5);
    });
  });

  it('honours an acknowledgement written on the resource', () => {
    const tf = fixtures['TF-SG-005']!.fail as {
      resource: Record<string, Record<string, Record<string, unknown>>>;
    };
    const body = tf.resource.aws_vpc_security_group_ingress_rule!.r!;
    const acked = {
      resource: {
        aws_vpc_security_group_ingress_rule: {
          r: {
            ...body,
            '//': { policy: { acknowledgements: { 'TF-SG-005': 'public load balancer front door' } } },
          },
        },
      },
    };
    const resources = terraformResources('fixture', acked);
    const findings = runRules(terraformRules, resources, { unit: 'fixture', resources });
    expect(findings.filter((f) => !f.acknowledged)).toEqual([]);
    expect(findings.map((f) => f.rule)).toContain('TF-SG-005');
  });
});
