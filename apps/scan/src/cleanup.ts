import { DeleteObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { withTransaction } from '@hybrid/service-kit';
import type pg from 'pg';
import { deleteUserImages } from './account';

export const ABANDONED_ERROR = 'the image was not submitted in time; start a new scan';

/**
 * The `cleanup-uploads` job: scans still awaiting their upload `olderThanSec` after they were
 * created are failed, and their raw uploads (which may carry the user's location) deleted.
 * Rows are locked while their objects are deleted (a submit racing with it waits, then finds the
 * scan failed); if S3 refuses, the transaction rolls back and the job is retried. Several runs at
 * once (replicas, a retry) split the work through SKIP LOCKED. Returns how many scans it failed.
 */
export async function cleanupAbandonedUploads(
  db: pg.Pool,
  s3: S3Client,
  bucket: string,
  olderThanSec: number,
  batch = 100,
): Promise<number> {
  let total = 0;
  for (;;) {
    const n = await withTransaction(db, async (c) => {
      const { rows } = await c.query<{ id: string; upload_key: string }>(
        `SELECT id, upload_key FROM scans
          WHERE status = 'awaiting_upload' AND created_at < now() - make_interval(secs => $1)
          ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED`,
        [olderThanSec, batch],
      );
      if (!rows.length) return 0;
      // Deleting a missing object succeeds, so a retried job repeats this harmlessly.
      await Promise.all(
        rows.map((r) => s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: r.upload_key }))),
      );
      await c.query(`UPDATE scans SET status = 'failed', error = $2 WHERE id = ANY($1::uuid[])`, [
        rows.map((r) => r.id),
        ABANDONED_ERROR,
      ]);
      return rows.length;
    });
    total += n;
    if (n < batch) return total;
  }
}

/**
 * Part of the `cleanup-uploads` job: deletes what landed under a deleted user's prefix after the
 * account deletion (an upload URL issued before it still works until it expires). A user is
 * forgotten after the first sweep that starts `forgetAfterSec` after the deletion, when every such
 * URL has expired; an S3 failure throws, and the job is retried. Returns users swept and objects
 * deleted.
 */
export async function sweepDeletedUsers(
  db: pg.Pool,
  s3: S3Client,
  bucket: string,
  forgetAfterSec: number,
): Promise<{ users: number; objects: number }> {
  const { rows } = await db.query<{ user_id: string; expired: boolean }>(
    `SELECT user_id, deleted_at < now() - make_interval(secs => $1) AS expired
       FROM deleted_users ORDER BY deleted_at`,
    [forgetAfterSec],
  );
  let objects = 0;
  for (const r of rows) {
    objects += await deleteUserImages(s3, bucket, r.user_id);
    // The same condition again: a repeated deletion event meanwhile moved deleted_at on.
    if (r.expired)
      await db.query(
        'DELETE FROM deleted_users WHERE user_id = $1 AND deleted_at < now() - make_interval(secs => $2)',
        [r.user_id, forgetAfterSec],
      );
  }
  return { users: rows.length, objects };
}
