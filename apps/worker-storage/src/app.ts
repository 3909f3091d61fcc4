import { catalog } from '@hybrid/catalog';
import {
  attachConsumers,
  createObjectStore,
  createS3,
  imageKeys,
  ObjectTooLargeError,
  parseScanJob,
  publishTo,
  startServiceConsumer,
  S3RequestError,
  type ObjectStore,
  type Topology,
} from '@hybrid/queue';
import type { ServiceContext, ServiceDefinition } from '@hybrid/service-kit';
import { processImage, UndecodableImageError } from './process';
import { sniffImageType, typeName } from './sniff';

export { sniffImageType, typeName, type ImageType } from './sniff';
export { processImage } from './process';

export interface StorageWorkerOptions {
  /** @default the platform catalog's exchanges and queues */
  readonly topology?: Topology;
}

interface ScanRow {
  user_id: string;
  status: string;
  content_type: string;
  upload_key: string;
}

/** A problem with the user's file: the scan fails with this reason, no retry. */
class RejectedUpload extends Error {}

async function readUpload(objects: ObjectStore, key: string, maxBytes: number): Promise<Buffer> {
  try {
    return await objects.get(key, { maxBytes });
  } catch (err) {
    if (err instanceof ObjectTooLargeError)
      throw new RejectedUpload(`the file is larger than the ${maxBytes} bytes allowed`);
    // Retried: a missing upload after submit is odd, and dead-letters once attempts run out.
    if (err instanceof S3RequestError && err.status === 404)
      throw new Error('the uploaded image is missing from storage');
    throw err;
  }
}

async function handleScan(
  ctx: ServiceContext,
  objects: ObjectStore,
  topology: Topology,
  scanId: string,
): Promise<void> {
  const db = ctx.pg!;
  const prefix = ctx.config.string('QUEUE_PREFIX');
  // Claims a queued scan and reads it in one statement; any other scan is read as it is.
  // No status in the WHERE clause: the submit publishes this job before it commits, and an
  // `AND status = 'queued'` would be checked against the row as committed before the submit (so
  // skipped, without waiting). Matched by id alone, the UPDATE waits for the submit's row lock,
  // then sets the status from the row as the submit left it. (A no-op update otherwise: the
  // status trigger only acts on a change.)
  const scan = (
    await db.query<ScanRow>(
      `UPDATE scans SET status = CASE WHEN status = 'queued' THEN 'checking' ELSE status END
        WHERE id = $1
        RETURNING user_id, status, content_type, upload_key`,
      [scanId],
    )
  ).rows[0];
  if (!scan) {
    // Rows are created before their job is ever queued, so a missing one was deleted with its
    // account (whose deletion also removed the user's objects): nothing left to do.
    ctx.log.info({ scanId }, 'scan no longer exists (account deleted); job dropped');
    return;
  }
  const removeUpload = () =>
    objects.delete(scan.upload_key).catch((err: unknown) => {
      ctx.log.warn({ err, scanId }, 'could not delete the raw upload');
    });

  switch (scan.status) {
    case 'done':
    case 'failed':
      return;
    case 'classifying':
      // Checked before, but the process stopped before passing it on: pass it on again.
      await publishTo(ctx.amqp!, topology, prefix, 'q.ai', { scanId });
      await removeUpload();
      return;
    case 'checking':
      break;
    default:
      // The submit that queued it has not committed yet.
      throw new Error(`scan ${scanId} is ${scan.status}, not queued`);
  }

  const reject = async (reason: string) => {
    await db.query(
      `UPDATE scans SET status = 'failed', error = $2 WHERE id = $1 AND status IN ('queued', 'checking')`,
      [scanId, reason],
    );
    await removeUpload();
  };
  let processed;
  let detected;
  try {
    const bytes = await readUpload(objects, scan.upload_key, ctx.config.number('MAX_UPLOAD_BYTES'));
    detected = sniffImageType(bytes);
    if (!detected) throw new RejectedUpload('the file is not a JPEG, PNG or WebP image');
    if (detected !== scan.content_type) {
      throw new RejectedUpload(
        `the file is a ${typeName(detected)} image but was declared as ${scan.content_type}`,
      );
    }
    processed = await processImage(bytes, detected, ctx.config.number('THUMBNAIL_SIZE'));
  } catch (err) {
    if (err instanceof RejectedUpload) return reject(err.message);
    if (err instanceof UndecodableImageError) return reject('the image is damaged and could not be read');
    throw err;
  }

  const keys = imageKeys(scan.user_id, scanId);
  // Same keys on every attempt: a repeated job overwrites, never duplicates.
  await Promise.all([
    objects.put(keys.image, processed.imageParts, detected),
    objects.put(keys.thumb, processed.thumb, 'image/jpeg'),
  ]);
  const moved = await db.query(
    `UPDATE scans SET status = 'classifying', image_key = $2, thumb_key = $3, detected_type = $4,
            width = $5, height = $6
      WHERE id = $1 AND status = 'checking'`,
    [scanId, keys.image, keys.thumb, detected, processed.width, processed.height],
  );
  if (!moved.rowCount && !(await db.query('SELECT 1 FROM scans WHERE id = $1', [scanId])).rowCount) {
    // The scan was deleted while it was processed (its account was deleted, and the account
    // deletion already cleared the user's objects): remove what this job just wrote.
    await Promise.all([keys.image, keys.thumb, scan.upload_key].map((key) => objects.delete(key)));
    return;
  }
  await publishTo(ctx.amqp!, topology, prefix, 'q.ai', { scanId });
  // Only the cleaned copy is kept: the raw upload may carry the user's location.
  await removeUpload();
}

export function createStorageWorker(opts: StorageWorkerOptions = {}): ServiceDefinition {
  const topology = opts.topology ?? catalog;
  return {
    workload: 'worker-storage',
    routes: (app, ctx) => attachConsumers(app, ctx),
    start: async (ctx) => {
      // The SDK client only supplies credentials; the object calls go through the lean client.
      const s3 = createS3(ctx.config);
      const objects = createObjectStore(ctx.config, s3);
      ctx.onShutdown(() => {
        objects.close();
        s3.destroy();
      });
      await startServiceConsumer(ctx, topology, {
        queue: 'q.storage',
        prefetch: ctx.config.number('WORKER_CONCURRENCY'),
        parse: parseScanJob,
        handle: (job) => handleScan(ctx, objects, topology, job.scanId),
        onDead: async (job, err) => {
          if (!job) return;
          await ctx.pg!.query(
            `UPDATE scans SET status = 'failed', error = $2 WHERE id = $1 AND status NOT IN ('done', 'failed')`,
            [job.scanId, `the image could not be processed: ${err.message}`],
          );
        },
      });
    },
  };
}

export const storageWorker = createStorageWorker();
