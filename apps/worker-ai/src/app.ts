import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { catalog } from '@hybrid/catalog';
import {
  attachConsumers,
  createS3,
  parseScanJob,
  publishTo,
  startServiceConsumer,
  type ScanResult,
  type Topology,
} from '@hybrid/queue';
import { createPgPool, type ServiceContext, type ServiceDefinition } from '@hybrid/service-kit';
import type pg from 'pg';
import { InfoDatabaseGuide, type DisposalGuide } from './guide';
import { LabelProvider, OpenAiProvider, type VisionProvider } from './providers';

export { InfoDatabaseGuide, type CategoryInfo, type DisposalGuide } from './guide';
export {
  LabelProvider,
  OpenAiProvider,
  type Classification,
  type VisionInput,
  type VisionProvider,
} from './providers';

export interface AiWorkerOptions {
  /** @default the platform catalog's exchanges and queues */
  readonly topology?: Topology;
}

/** The provider VISION_PROVIDER selects. */
export function providerFromConfig(ctx: ServiceContext): VisionProvider {
  const c = ctx.config;
  if (c.string('VISION_PROVIDER') === 'openai') {
    return new OpenAiProvider({
      baseUrl: c.string('VISION_BASE_URL'),
      apiKey: c.string('VISION_API_KEY'),
      model: c.string('VISION_MODEL'),
      timeoutMs: c.number('VISION_TIMEOUT_MS'),
    });
  }
  return new LabelProvider();
}

/** Classifies one scan and puts together its result (category, material, steps, feedback). */
export async function classifyScan(
  provider: VisionProvider,
  guide: DisposalGuide,
  label: string | null,
  image: () => Promise<{ bytes: Buffer; type: string }>,
): Promise<ScanResult> {
  const categories = await guide.categories();
  const c = await provider.classify({ label, image, categories });
  const category = categories.find((x) => x.slug === c.category) ?? null;
  const material = category?.materials.find((m) => m.slug === c.material) ?? null;
  let feedback = c.feedback;
  if (!feedback && category) {
    feedback = `${material ? `${material.name}: ` : ''}${category.name}. ${category.summary}`.trim();
  }
  return {
    provider: provider.name,
    model: provider.model,
    category: category ? { slug: category.slug, name: category.name } : null,
    material,
    confidence: c.confidence,
    steps: category?.steps ?? [],
    feedback: feedback ?? 'This item could not be classified.',
  };
}

async function readImage(s3: S3Client, bucket: string, key: string, type: string) {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  if (!res.Body) throw new Error('storage returned no body');
  return { bytes: Buffer.from(await res.Body.transformToByteArray()), type };
}

export function createAiWorker(opts: AiWorkerOptions = {}): ServiceDefinition {
  const topology = opts.topology ?? catalog;
  return {
    workload: 'worker-ai',
    routes: (app, ctx) => attachConsumers(app, ctx),
    checks: (ctx) => ({
      info: () => infoPools.get(ctx)?.query('SELECT 1') ?? Promise.reject(new Error('not started')),
    }),
    start: async (ctx) => {
      const db = ctx.pg!;
      const infoPool = createPgPool(ctx.config.string('INFO_DATABASE_URL'), ctx.log, 4);
      infoPools.set(ctx, infoPool);
      const s3 = createS3(ctx.config);
      ctx.onShutdown(async () => {
        s3.destroy();
        await infoPool.end();
      });
      const guide = new InfoDatabaseGuide(infoPool);
      const provider = providerFromConfig(ctx);
      const bucket = ctx.config.string('IMAGES_BUCKET');
      const prefix = ctx.config.string('QUEUE_PREFIX');
      await startServiceConsumer(ctx, topology, {
        queue: 'q.ai',
        prefetch: ctx.config.number('WORKER_CONCURRENCY'),
        parse: parseScanJob,
        handle: async ({ scanId }) => {
          const { rows } = await db.query<{
            status: string;
            label: string | null;
            image_key: string | null;
            detected_type: string | null;
          }>('SELECT status, label, image_key, detected_type FROM scans WHERE id = $1', [scanId]);
          const scan = rows[0];
          if (!scan) {
            // Deleted with its account after it was queued: nothing to classify.
            ctx.log.info({ scanId }, 'scan no longer exists (account deleted); job dropped');
            return;
          }
          if (scan.status === 'done' || scan.status === 'failed') return; // a redelivery after the result
          if (scan.status !== 'classifying' || !scan.image_key || !scan.detected_type) {
            throw new Error(`scan ${scanId} is ${scan.status}, not checked yet`);
          }
          const key = scan.image_key;
          const type = scan.detected_type;
          const result = await classifyScan(provider, guide, scan.label, () =>
            readImage(s3, bucket, key, type),
          );
          // The scan API commits it (once) and announces the completed scan.
          await publishTo(ctx.amqp!, topology, prefix, 'q.api', { scanId, result });
        },
        onDead: async (job, err) => {
          if (!job) return;
          await db.query(
            `UPDATE scans SET status = 'failed', error = $2 WHERE id = $1 AND status NOT IN ('done', 'failed')`,
            [job.scanId, `the item could not be classified: ${err.message}`],
          );
        },
      });
    },
  };
}

const infoPools = new WeakMap<ServiceContext, pg.Pool>();

export const aiWorker = createAiWorker();
