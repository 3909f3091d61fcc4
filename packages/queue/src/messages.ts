import { PermanentError } from './consumer';

/** Messages of the scan pipeline, one per queue. */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** q.storage and q.ai: which scan to work on (the scan row holds everything else). */
export interface ScanJob {
  readonly scanId: string;
}

export interface NamedRef {
  readonly slug: string;
  readonly name: string;
}

export interface DisposalStep {
  readonly position: number;
  readonly text: string;
  readonly textKo: string;
}

/** What a scan ends with. */
export interface ScanResult {
  /** Which classifier produced it: `label` means no model looked at the photo. */
  readonly provider: 'label' | 'openai';
  readonly model: string | null;
  readonly category: NamedRef | null;
  readonly material: NamedRef | null;
  /** 0..1 from a model; null when no model judged the photo. */
  readonly confidence: number | null;
  readonly steps: readonly DisposalStep[];
  readonly feedback: string;
}

/** q.api: a classification to commit. */
export interface ClassifiedJob {
  readonly scanId: string;
  readonly result: ScanResult;
}

/** q.batch: a scan completed (announced by the scan API after it committed the result). */
export interface ScanCompleted {
  readonly scanId: string;
  readonly userId: string;
  readonly category: string | null;
  readonly material: string | null;
  readonly completedAt: string;
}

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function scanId(v: Record<string, unknown>): string {
  if (typeof v.scanId !== 'string' || !UUID.test(v.scanId)) throw new PermanentError('scanId must be a UUID');
  return v.scanId.toLowerCase();
}

export function parseScanJob(body: unknown): ScanJob {
  if (!isObj(body)) throw new PermanentError('message must be an object');
  return { scanId: scanId(body) };
}

export function parseClassified(body: unknown): ClassifiedJob {
  if (!isObj(body) || !isObj(body.result)) throw new PermanentError('message must have a result');
  const r = body.result;
  if (r.provider !== 'label' && r.provider !== 'openai') throw new PermanentError('unknown provider');
  if (!Array.isArray(r.steps) || typeof r.feedback !== 'string') throw new PermanentError('malformed result');
  return { scanId: scanId(body), result: r as unknown as ScanResult };
}

export function parseCompleted(body: unknown): ScanCompleted {
  if (!isObj(body)) throw new PermanentError('message must be an object');
  const id = scanId(body);
  if (typeof body.userId !== 'string' || !body.userId) throw new PermanentError('userId is required');
  const opt = (v: unknown) => (typeof v === 'string' && v ? v : null);
  const at = typeof body.completedAt === 'string' ? new Date(body.completedAt) : new Date(NaN);
  if (Number.isNaN(at.getTime())) throw new PermanentError('completedAt must be a date');
  return {
    scanId: id,
    userId: body.userId,
    category: opt(body.category),
    material: opt(body.material),
    completedAt: at.toISOString(),
  };
}

/** Maintenance jobs on `q.sched` (published by the cluster's CronJobs). */
export const SCHEDULED_JOBS = ['cleanup-uploads'] as const;
export interface ScheduledJob {
  readonly job: (typeof SCHEDULED_JOBS)[number];
}

export function parseScheduledJob(body: unknown): ScheduledJob {
  if (!isObj(body) || typeof body.job !== 'string') throw new PermanentError('message must have a job');
  const job = SCHEDULED_JOBS.find((j) => j === body.job);
  if (!job) throw new PermanentError(`unknown job "${body.job}"`);
  return { job };
}
