import { EventEmitter } from 'node:events';
import type { Logger } from '@hybrid/service-kit';
import pg from 'pg';

export interface StatusNotice {
  readonly id: string;
  readonly userId: string;
  readonly status: string;
  readonly eventId: number;
}

/**
 * One LISTEN connection per scan API process: status changes are announced by a trigger on the
 * scans table (on commit), whichever process committed them, so every replica's streams see them.
 * Emits the scan id as event name, and `resync` after a reconnect (streams re-read what they missed).
 */
export class StatusListener extends EventEmitter {
  private client: pg.Client | undefined;
  private closed = false;
  private timer: NodeJS.Timeout | undefined;
  private attempt = 0;

  constructor(
    private readonly url: string,
    private readonly log: Logger,
  ) {
    super();
    this.setMaxListeners(0);
  }

  async start(): Promise<void> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 3000 });
    client.on('notification', (n) => {
      if (n.channel !== 'scan_status' || !n.payload) return;
      try {
        const notice = JSON.parse(n.payload) as StatusNotice;
        this.emit(notice.id, notice);
      } catch {
        this.log.warn({ payload: n.payload }, 'unreadable status notification');
      }
    });
    client.on('error', (err) => {
      this.log.warn({ err: { message: err.message } }, 'status listener connection lost');
      this.reconnect(client);
    });
    client.on('end', () => this.reconnect(client));
    await client.connect();
    await client.query('LISTEN scan_status');
    this.client = client;
    if (this.attempt > 0) this.emit('resync');
    this.attempt = 0;
  }

  private reconnect(old: pg.Client): void {
    if (this.closed || this.client !== old) return;
    this.client = undefined;
    void old.end().catch(() => undefined);
    this.schedule();
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    const delay = Math.min(200 * 2 ** this.attempt++, 5000);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start().catch((err: Error) => {
        this.log.warn({ err: { message: err.message } }, 'status listener reconnect failed');
        this.schedule();
      });
    }, delay);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    const c = this.client;
    this.client = undefined;
    await c?.end().catch(() => undefined);
  }
}
