import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { catalog } from '@hybrid/catalog';
import {
  attachConsumers,
  createObjectStore,
  createS3,
  imageKeys,
  parseClassified,
  parseScheduledJob,
  publishTo,
  startServiceConsumer,
  type ObjectStore,
  type ScanCompleted,
  type ScanResult,
  type Topology,
} from '@hybrid/queue';
import {
  ConfigError,
  ErrorResponse,
  HttpError,
  notFound,
  UnprocessableError,
  ValidationErrorResponse,
  withTransaction,
  type ServiceContext,
  type ServiceDefinition,
} from '@hybrid/service-kit';
import { Type, type Static } from '@hybrid/service-kit/schema';
import type pg from 'pg';
import { cleanupAbandonedUploads, sweepDeletedUsers } from './cleanup';
import { startAccountDeletion } from './account';
import { StatusListener, type StatusNotice } from './listener';

export const IMAGE_TYPES = ['image/jpeg', 'image/png', 'image/webp'] as const;
export const STATUSES = ['awaiting_upload', 'queued', 'checking', 'classifying', 'done', 'failed'] as const;
const TERMINAL = new Set(['done', 'failed']);
const SLUG = '^[a-z0-9]+(-[a-z0-9]+)*$';

const Ref = Type.Object({ slug: Type.String(), name: Type.String() });
const Result = Type.Object({
  provider: Type.Union([Type.Literal('label'), Type.Literal('openai')]),
  model: Type.Union([Type.String(), Type.Null()]),
  category: Type.Union([Ref, Type.Null()]),
  material: Type.Union([Ref, Type.Null()]),
  confidence: Type.Union([Type.Number(), Type.Null()]),
  steps: Type.Array(Type.Object({ position: Type.Integer(), text: Type.String(), textKo: Type.String() })),
  feedback: Type.String(),
});
const ScanView = Type.Object({
  id: Type.String({ format: 'uuid' }),
  status: Type.Union([
    Type.Literal('awaiting_upload'),
    Type.Literal('queued'),
    Type.Literal('checking'),
    Type.Literal('classifying'),
    Type.Literal('done'),
    Type.Literal('failed'),
  ]),
  label: Type.Union([Type.String(), Type.Null()]),
  contentType: Type.String(),
  createdAt: Type.String({ format: 'date-time' }),
  submittedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  completedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  image: Type.Union([
    Type.Object({
      type: Type.String(),
      width: Type.Integer(),
      height: Type.Integer(),
      thumbnailUrl: Type.String(),
    }),
    Type.Null(),
  ]),
  result: Type.Union([Result, Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});
type ScanView = Static<typeof ScanView>;
const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) });

interface ScanRow {
  id: string;
  user_id: string;
  status: (typeof STATUSES)[number];
  label: string | null;
  content_type: string;
  declared_size: number;
  upload_key: string;
  thumb_key: string | null;
  detected_type: string | null;
  width: number | null;
  height: number | null;
  result: ScanResult | null;
  error: string | null;
  created_at: Date;
  submitted_at: Date | null;
  completed_at: Date | null;
}

export interface ScanServiceOptions {
  /** Exchanges and queues. @default the platform catalog's */
  readonly topology?: Topology;
}

interface ScanState {
  s3: S3Client;
  /** One-object calls on the hot path (see `@hybrid/queue`'s ObjectStore). */
  objects: ObjectStore;
  bucket: string;
  listener: StatusListener;
  streams: Set<() => void>;
}
const states = new WeakMap<ServiceContext, ScanState>();

function stateOf(ctx: ServiceContext): ScanState {
  let st = states.get(ctx);
  if (!st) {
    const s3 = createS3(ctx.config);
    st = {
      s3,
      objects: createObjectStore(ctx.config, s3),
      bucket: ctx.config.string('IMAGES_BUCKET'),
      listener: new StatusListener(ctx.config.string('DATABASE_URL'), ctx.log),
      streams: new Set(),
    };
    states.set(ctx, st);
  }
  return st;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

async function view(st: ScanState, r: ScanRow): Promise<ScanView> {
  let image: ScanView['image'] = null;
  if (r.thumb_key && r.detected_type && r.width !== null && r.height !== null) {
    const thumbnailUrl = await getSignedUrl(
      st.s3,
      new GetObjectCommand({ Bucket: st.bucket, Key: r.thumb_key }),
      { expiresIn: 3600 },
    );
    image = { type: r.detected_type, width: r.width, height: r.height, thumbnailUrl };
  }
  return {
    id: r.id,
    status: r.status,
    label: r.label,
    contentType: r.content_type,
    createdAt: r.created_at.toISOString(),
    submittedAt: iso(r.submitted_at),
    completedAt: iso(r.completed_at),
    image,
    result: r.result ? { ...r.result, steps: [...r.result.steps] } : null,
    error: r.error,
  };
}

async function ownScan(db: pg.Pool, id: string, userId: string): Promise<ScanRow> {
  const { rows } = await db.query<ScanRow>('SELECT * FROM scans WHERE id = $1 AND user_id = $2', [
    id.toLowerCase(),
    userId,
  ]);
  // Someone else's scan answers like a missing one.
  if (!rows[0]) throw notFound('scan');
  return rows[0];
}

/**
 * A history cursor: the last row's `created_at` in microseconds since the epoch (PostgreSQL's own
 * precision; a `Date` keeps only milliseconds, and rows made in the same millisecond would be
 * skipped) and its id. Both parts are checked strictly, so a forged cursor is a 422, never a
 * value PostgreSQL refuses.
 */
const encodeCursor = (r: ScanRow & { created_us: string }) =>
  Buffer.from(`${r.created_us}|${r.id}`).toString('base64url');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
function decodeCursor(c: string): [string, string] {
  const [us, id, ...rest] = Buffer.from(c, 'base64url').toString('utf8').split('|');
  if (rest.length || !us || !id || !/^[0-9]{1,17}$/.test(us) || !UUID.test(id)) {
    throw new UnprocessableError([{ loc: ['query', 'cursor'], msg: 'invalid cursor', type: 'value_error' }]);
  }
  return [us, id];
}

/** Commits a classification (once) and announces the completed scan to q.batch. */
async function commitResult(
  ctx: ServiceContext,
  topology: Topology,
  prefix: string,
  scanId: string,
  result: ScanResult,
): Promise<void> {
  const db = ctx.pg!;
  const { rows } = await db.query<{
    user_id: string;
    status: string;
    result: ScanResult | null;
    completed_at: Date | null;
  }>(
    `UPDATE scans SET status = 'done', result = $2, completed_at = now(), error = NULL
       WHERE id = $1 AND status = 'classifying'
     RETURNING user_id, status, result, completed_at`,
    [scanId, JSON.stringify(result)],
  );
  let row = rows[0];
  if (!row) {
    const cur = await db.query<{
      user_id: string;
      status: string;
      result: ScanResult | null;
      completed_at: Date | null;
    }>('SELECT user_id, status, result, completed_at FROM scans WHERE id = $1', [scanId]);
    row = cur.rows[0];
    if (!row) {
      // Deleted with its account while it was classified: no result to keep or announce.
      ctx.log.info({ scanId }, 'scan no longer exists (account deleted); result dropped');
      return;
    }
    if (row.status === 'failed') return; // given up on earlier; a late result changes nothing
    if (row.status !== 'done') throw new Error(`scan ${scanId} is ${row.status}, not classifying yet`);
  }
  // Already done (a redelivery): announce again; the consumers of q.batch are idempotent.
  const event: ScanCompleted = {
    scanId,
    userId: row.user_id,
    category: row.result?.category?.slug ?? null,
    material: row.result?.material?.slug ?? null,
    completedAt: (row.completed_at ?? new Date()).toISOString(),
  };
  await publishTo(ctx.amqp!, topology, prefix, 'q.batch', event);
}

export function createScanService(opts: ScanServiceOptions = {}): ServiceDefinition {
  const topology = opts.topology ?? catalog;
  return {
    workload: 'scan',
    migrationsDir: join(__dirname, '..', 'migrations'),
    routes: (app, ctx) => {
      const db = ctx.pg!;
      const amqp = ctx.amqp!;
      const st = stateOf(ctx);
      const prefix = ctx.config.string('QUEUE_PREFIX');
      const maxBytes = ctx.config.number('MAX_UPLOAD_BYTES');
      const ttl = ctx.config.number('UPLOAD_URL_TTL_SEC');
      attachConsumers(app, ctx);
      app.addHook('preClose', async () => {
        for (const end of [...st.streams]) end();
        await st.listener.close();
      });

      app.post(
        '/',
        {
          config: { auth: 'required' },
          schema: {
            summary: 'Start a scan: returns a presigned URL to PUT the photo to',
            body: Type.Object(
              {
                contentType: Type.Union(IMAGE_TYPES.map((t) => Type.Literal(t))),
                size: Type.Integer({ minimum: 1, description: 'Exact size of the file in bytes.' }),
                category: Type.Optional(
                  Type.String({ pattern: SLUG, maxLength: 64, description: 'Category the user picked.' }),
                ),
              },
              { additionalProperties: false },
            ),
            response: {
              201: Type.Object({
                scanId: Type.String({ format: 'uuid' }),
                uploadUrl: Type.String(),
                uploadMethod: Type.Literal('PUT'),
                uploadHeaders: Type.Record(Type.String(), Type.String()),
                expiresIn: Type.Integer(),
              }),
              422: ValidationErrorResponse,
            },
          },
        },
        async (req, reply) => {
          const { contentType, size, category } = req.body;
          if (size > maxBytes) {
            throw new UnprocessableError([
              {
                loc: ['body', 'size'],
                msg: `the image is larger than ${maxBytes} bytes`,
                type: 'less_than_equal',
              },
            ]);
          }
          const id = randomUUID();
          const userId = req.user!.id;
          const keys = imageKeys(userId, id);
          // S3 refuses a PUT whose type or length differ from the signed ones.
          const uploadUrl = await st.objects.presignPut(keys.upload, contentType, size, ttl);
          await db.query(
            `INSERT INTO scans (id, user_id, label, content_type, declared_size, upload_key)
             VALUES ($1, $2, $3, $4, $5, $6)`,
            [id, userId, category ?? null, contentType, size, keys.upload],
          );
          return reply.code(201).send({
            scanId: id,
            uploadUrl,
            uploadMethod: 'PUT' as const,
            uploadHeaders: { 'content-type': contentType, 'content-length': String(size) },
            expiresIn: ttl,
          });
        },
      );

      app.post(
        '/:id/submit',
        {
          config: { auth: 'required' },
          schema: {
            summary: 'Queue an uploaded scan for checking and classification',
            params: IdParams,
            response: {
              202: Type.Object({ scanId: Type.String(), status: Type.String() }),
              404: ErrorResponse,
              409: ErrorResponse,
            },
          },
        },
        async (req, reply) => {
          const id = req.params.id.toLowerCase();
          const userId = req.user!.id;
          // The upload's key follows from the user and the scan, so S3 is asked first, and the
          // usual submit is one transaction: the UPDATE checks owner, state and key together.
          const uploadKey = imageKeys(userId, id).upload;
          const queued =
            (await st.objects.head(uploadKey)) &&
            (await withTransaction(db, async (client) => {
              const { rowCount } = await client.query(
                `UPDATE scans SET status = 'queued', submitted_at = now()
                   WHERE id = $1 AND user_id = $2 AND status = 'awaiting_upload' AND upload_key = $3`,
                [id, userId, uploadKey],
              );
              // Published before the commit: if the broker does not confirm, nothing changed.
              if (rowCount) await publishTo(amqp, topology, prefix, 'q.storage', { scanId: id });
              return Boolean(rowCount);
            }));
          if (queued) return reply.code(202).send({ scanId: id, status: 'queued' });
          const scan = await ownScan(db, id, userId);
          // Submitting twice queues once.
          if (scan.status !== 'awaiting_upload')
            return reply.code(202).send({ scanId: scan.id, status: scan.status });
          throw new HttpError(409, 'upload the image to uploadUrl before submitting');
        },
      );

      app.get(
        '/:id',
        {
          config: { auth: 'required' },
          schema: {
            summary: 'A scan: status, image and result',
            params: IdParams,
            response: { 200: ScanView, 404: ErrorResponse },
          },
        },
        async (req) => view(st, await ownScan(db, req.params.id, req.user!.id)),
      );

      app.get(
        '/',
        {
          config: { auth: 'required' },
          schema: {
            summary: "The user's scans, newest first",
            querystring: Type.Object({
              limit: Type.Integer({ minimum: 1, maximum: 100, default: 20 }),
              cursor: Type.Optional(Type.String({ maxLength: 200 })),
            }),
            response: {
              200: Type.Object({
                items: Type.Array(ScanView),
                nextCursor: Type.Union([Type.String(), Type.Null()]),
              }),
              422: ValidationErrorResponse,
            },
          },
        },
        async (req) => {
          const { limit, cursor } = req.query;
          const args: unknown[] = [req.user!.id, limit + 1];
          let where = 'user_id = $1';
          if (cursor) {
            const [us, id] = decodeCursor(cursor);
            args.push(us, id);
            where +=
              " AND (created_at, id) < ('epoch'::timestamptz + $3::int8 * interval '1 microsecond', $4::uuid)";
          }
          const { rows } = await db.query<ScanRow & { created_us: string }>(
            `SELECT *, ((extract(epoch FROM created_at) * 1000000)::int8)::text AS created_us
               FROM scans WHERE ${where} ORDER BY created_at DESC, id DESC LIMIT $2`,
            args,
          );
          const page = rows.slice(0, limit);
          return {
            items: await Promise.all(page.map((r) => view(st, r))),
            nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]!) : null,
          };
        },
      );

      app.get(
        '/:id/events',
        {
          config: { auth: 'required' },
          schema: {
            summary: 'Server-sent events: one `status` event per status change, until done or failed',
            params: IdParams,
            produces: ['text/event-stream'],
            response: { 404: ErrorResponse },
          },
        },
        async (req, reply) => {
          const scan = await ownScan(db, req.params.id, req.user!.id);
          const lastHeader = Number(req.headers['last-event-id'] ?? 0);
          let lastId = Number.isInteger(lastHeader) && lastHeader > 0 ? lastHeader : 0;
          reply.hijack();
          const res = reply.raw;
          res.writeHead(200, {
            'content-type': 'text/event-stream; charset=utf-8',
            'cache-control': 'no-cache',
            connection: 'keep-alive',
            'x-accel-buffering': 'no',
          });
          let ended = false;
          const end = () => {
            if (ended) return;
            ended = true;
            clearInterval(ping);
            st.listener.off(scan.id, onNotice);
            st.listener.off('resync', catchUp);
            st.streams.delete(end);
            res.end();
          };
          const send = (eventId: number, status: string) => {
            if (ended || eventId <= lastId) return;
            lastId = eventId;
            res.write(
              `id: ${eventId}\nevent: status\ndata: ${JSON.stringify({ scanId: scan.id, status })}\n\n`,
            );
            if (TERMINAL.has(status)) end();
          };
          let reading = Promise.resolve();
          // Events come from the table (history and anything missed) and from notifications (live).
          function catchUp(): void {
            reading = reading
              .then(async () => {
                if (ended) return;
                const { rows } = await db.query<{ id: string; status: string }>(
                  'SELECT id, status FROM scan_events WHERE scan_id = $1 AND id > $2 ORDER BY id',
                  [scan.id, lastId],
                );
                for (const r of rows) send(Number(r.id), r.status);
              })
              .catch((err: unknown) => {
                req.log.warn({ err }, 'status stream read failed');
                end();
              });
          }
          // A notification only says "something changed": reading the table keeps order and misses nothing.
          const onNotice = (_n: StatusNotice) => catchUp();
          const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
          st.streams.add(end);
          st.listener.on(scan.id, onNotice);
          st.listener.on('resync', catchUp);
          req.raw.on('close', end);
          catchUp();
        },
      );
    },
    start: async (ctx) => {
      const st = stateOf(ctx);
      const prefix = ctx.config.string('QUEUE_PREFIX');
      const abandonedSec = ctx.config.number('ABANDONED_UPLOAD_SEC');
      if (abandonedSec <= ctx.config.number('UPLOAD_URL_TTL_SEC'))
        throw new ConfigError([
          { variable: 'ABANDONED_UPLOAD_SEC', message: 'must be longer than UPLOAD_URL_TTL_SEC' },
        ]);
      await st.listener.start();
      ctx.onShutdown(async () => {
        await st.listener.close();
        st.objects.close();
        st.s3.destroy();
      });
      await startServiceConsumer(ctx, topology, {
        queue: 'q.api',
        prefetch: 16,
        parse: parseClassified,
        handle: (job) => commitResult(ctx, topology, prefix, job.scanId, job.result),
        onDead: async (job, err) => {
          if (!job) return;
          await ctx.pg!.query(
            `UPDATE scans SET status = 'failed', error = $2 WHERE id = $1 AND status NOT IN ('done', 'failed')`,
            [job.scanId, `the result could not be saved: ${err.message}`],
          );
        },
      });
      await startServiceConsumer(ctx, topology, {
        queue: 'q.sched',
        prefetch: 1,
        parse: parseScheduledJob,
        handle: async () => {
          const failed = await cleanupAbandonedUploads(ctx.pg!, st.s3, st.bucket, abandonedSec);
          const swept = await sweepDeletedUsers(ctx.pg!, st.s3, st.bucket, abandonedSec);
          ctx.log.info({ failed, deletedUsers: swept }, 'abandoned uploads cleaned up');
        },
      });
      await startAccountDeletion(ctx, topology);
    },
  };
}

export const scanService = createScanService();
