// The figures of hy-test's closing line, "N passed, N failed", from jest's --json report.
'use strict';

/**
 * `report` is jest's JSON report (or undefined when jest wrote none), `exitStatus` jest's exit
 * status. Tests count one each. A suite that failed without a failing test of its own (it could not
 * load, or a hook such as `afterAll` threw after its tests passed) counts as one failure, and so
 * does a jest run that failed with nothing counted: the line never says 0 failed for a failed run.
 */
function summarize(report, exitStatus) {
  if (!report) return { passed: 0, failed: 1, skipped: 0, problem: 'jest wrote no report' };
  let failed = report.numFailedTests;
  for (const s of report.testResults) {
    if (s.status === 'failed' && !s.assertionResults.some((a) => a.status === 'failed')) failed += 1;
  }
  const problem = exitStatus !== 0 && failed === 0 ? `jest exited with status ${exitStatus}` : undefined;
  if (problem) failed = 1;
  return {
    passed: report.numPassedTests,
    failed,
    skipped: report.numPendingTests + report.numTodoTests,
    ...(problem ? { problem } : {}),
  };
}

module.exports = { summarize };
