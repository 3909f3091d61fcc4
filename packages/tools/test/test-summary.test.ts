// eslint-disable-next-line @typescript-eslint/no-require-imports
const { summarize } = require('../bin/test-summary.cjs') as {
  summarize: (
    report: unknown,
    exitStatus: number | null,
  ) => { passed: number; failed: number; skipped: number; problem?: string };
};

type Assertion = { status: 'passed' | 'failed' | 'pending' };
const suite = (status: 'passed' | 'failed', assertions: Assertion['status'][]) => ({
  status,
  assertionResults: assertions.map((s) => ({ status: s })),
});
const report = (suites: ReturnType<typeof suite>[]) => {
  const all = suites.flatMap((s) => s.assertionResults);
  return {
    numPassedTests: all.filter((a) => a.status === 'passed').length,
    numFailedTests: all.filter((a) => a.status === 'failed').length,
    numPendingTests: all.filter((a) => a.status === 'pending').length,
    numTodoTests: 0,
    testResults: suites,
  };
};

describe("hy-test's closing line", () => {
  it('counts tests, and a failing test once', () => {
    const r = report([
      suite('passed', ['passed', 'passed', 'pending']),
      suite('failed', ['passed', 'failed']),
    ]);
    expect(summarize(r, 1)).toEqual({ passed: 3, failed: 1, skipped: 1 });
    expect(summarize(report([suite('passed', ['passed'])]), 0)).toEqual({ passed: 1, failed: 0, skipped: 0 });
  });

  it('counts a suite that failed with every test passing (afterAll threw) or with none (did not load)', () => {
    const r = report([
      suite('failed', ['passed', 'passed']),
      suite('failed', []),
      suite('passed', ['passed']),
    ]);
    expect(summarize(r, 1)).toEqual({ passed: 3, failed: 2, skipped: 0 });
  });

  it('never says 0 failed for a jest run that failed, or that wrote no report', () => {
    expect(summarize(report([suite('passed', ['passed'])]), 1)).toEqual({
      passed: 1,
      failed: 1,
      skipped: 0,
      problem: 'jest exited with status 1',
    });
    expect(summarize(undefined, 0)).toMatchObject({ failed: 1, problem: 'jest wrote no report' });
  });
});
