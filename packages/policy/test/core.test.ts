import { compliant, nonCompliant, runRules, validatePack, type PolicyResource, type Rule } from '../src';

const rule: Rule = {
  id: 'T-001',
  meaning: 'buckets are versioned',
  reason: 'versioning keeps overwritten objects',
  mirrors: ['CKV_AWS_21'],
  appliesTo: ['bucket'],
  check: (r) => (r.body.versioned === true ? compliant : nonCompliant('versioning is off')),
};
const res = (
  body: Record<string, unknown>,
  acknowledgements: Record<string, string> = {},
): PolicyResource => ({
  type: 'bucket',
  address: 'stack/bucket.a',
  body,
  acknowledgements,
});

describe('policy core', () => {
  it('reports non-compliant resources and skips other types', () => {
    expect(runRules([rule], [res({ versioned: false }), { ...res({}), type: 'other' }], undefined)).toEqual([
      { rule: 'T-001', address: 'stack/bucket.a', message: 'versioning is off' },
    ]);
    expect(runRules([rule], [res({ versioned: true })], undefined)).toEqual([]);
  });

  it('honours an acknowledgement with a real reason and flags a short one', () => {
    const [ack] = runRules([rule], [res({}, { 'T-001': 'logs bucket, objects are immutable' })], undefined);
    expect(ack?.acknowledged).toBe('logs bucket, objects are immutable');
    const findings = runRules([rule], [res({}, { 'T-001': 'because' })], undefined);
    expect(findings.map((f) => f.rule).sort()).toEqual(['POLICY-ACK', 'T-001']);
    expect(findings.find((f) => f.rule === 'T-001')?.acknowledged).toBeUndefined();
  });

  it('validates pack hygiene', () => {
    expect(validatePack([rule, { ...rule, mirrors: [] }] as Rule<never>[])).toEqual([
      'duplicate rule id T-001',
      'T-001: name the upstream checks it mirrors',
    ]);
  });
});
