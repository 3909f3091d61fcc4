/** The drawing board: a canvas bound to the stroke model, pointer input (mouse, pen, touch) and the client. */
import type { DrawOp, Fill, Stroke, Tool } from '@hybrid/game-protocol';
import { ASPECT, Drawing, StrokeBuilder, normalize, renderOp, type Surface } from '../draw/model';

/** Undos sent at once: below the server's default burst for drawing events (120). */
const UNDO_BATCH = 50;
/** How long to wait after a RATE_LIMITED undo, and how often, before giving up. */
const UNDO_PAUSE_MS = 600;
const UNDO_MAX_PAUSES = 10;

export type BoardTool = Tool | 'fill';

export interface BoardSink {
  stroke(s: Stroke): Promise<unknown>;
  fill(f: Fill): Promise<unknown>;
  undo(): Promise<unknown>;
  clear(): Promise<unknown>;
}

/** How often a stroke in progress is sent, in ms. */
const FLUSH_MS = 30;

export class Board {
  readonly drawing = new Drawing();
  tool: BoardTool = 'pen';
  color = '#1f2937';
  size = 6;
  enabled = false;
  private readonly ctx: CanvasRenderingContext2D;
  private builder: StrokeBuilder | null = null;
  private pointerId: number | null = null;
  private flushTimer: ReturnType<typeof setTimeout> | null = null;
  /** Segments per finished gesture of the local drawer, for undoing a whole gesture. */
  private gestures: number[] = [];

  constructor(
    readonly canvas: HTMLCanvasElement,
    /** The element whose size bounds the board. */
    private readonly box: HTMLElement,
    private readonly sink: BoardSink,
  ) {
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    if (!ctx) throw new Error('2D canvas is not supported');
    this.ctx = ctx;
    canvas.addEventListener('pointerdown', (e) => this.down(e));
    canvas.addEventListener('pointermove', (e) => this.move(e));
    canvas.addEventListener('pointerup', (e) => this.up(e));
    canvas.addEventListener('pointercancel', (e) => this.up(e));
    canvas.addEventListener('contextmenu', (e) => e.preventDefault());
    new ResizeObserver(() => this.resize()).observe(box);
    this.resize();
  }

  private get surface(): Surface {
    return this.ctx as unknown as Surface;
  }

  /** Matches the backing store to the displayed size and repaints from the model. */
  resize(): void {
    const box = this.box;
    // On wide screens the board is bounded by the space left beside the panels; on phones by width.
    const wide = globalThis.matchMedia?.('(min-width: 821px)').matches ?? true;
    const byHeight = wide && box.clientHeight > 50 ? box.clientHeight * ASPECT : Infinity;
    const cssWidth = Math.max(100, Math.min(box.clientWidth, byHeight));
    const dpr = Math.min(2, globalThis.devicePixelRatio || 1);
    const w = Math.round(cssWidth * dpr);
    const hgt = Math.round(w / ASPECT);
    this.canvas.style.width = `${cssWidth}px`;
    this.canvas.style.height = `${cssWidth / ASPECT}px`;
    if (this.canvas.width !== w || this.canvas.height !== hgt) {
      this.canvas.width = w;
      this.canvas.height = hgt;
    }
    this.drawing.renderAll(this.surface);
  }

  /** An operation from another player (or the server's sync). */
  remote(op: DrawOp): void {
    this.drawing.apply(op);
    renderOp(this.surface, op);
    this.rendered(op);
  }
  remoteUndo(): void {
    this.drawing.undo();
    this.drawing.renderAll(this.surface);
    this.rendered();
  }
  sync(ops: readonly DrawOp[]): void {
    this.drawing.reset(ops);
    this.drawing.renderAll(this.surface);
    this.gestures = [];
    this.rendered();
  }
  reset(): void {
    this.sync([]);
  }

  /**
   * Undoes the local drawer's last gesture: one `draw:undo` per segment it was sent as (the socket
   * keeps their order), in batches below the server's burst for drawing events. Undos the server
   * refuses as RATE_LIMITED are sent again after a pause, so one click undoes even a long gesture.
   * The picture drops as many operations as the server accepted, so it never disagrees with what
   * the others see; what was not undone stays for the next undo, and the error is thrown.
   */
  async undo(): Promise<void> {
    let left = this.gestures.pop() ?? 1;
    try {
      for (let pauses = 0; left > 0;) {
        const batch = Math.min(left, UNDO_BATCH);
        const results = await Promise.allSettled(Array.from({ length: batch }, () => this.sink.undo()));
        const accepted = results.filter((r) => r.status === 'fulfilled').length;
        for (let i = 0; i < accepted; i++) if (!this.drawing.undo()) break;
        left -= accepted;
        const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
        if (!failed) continue;
        const limited = (failed.reason as { code?: unknown } | null)?.code === 'RATE_LIMITED';
        if (!limited || pauses++ >= UNDO_MAX_PAUSES) throw failed.reason;
        await new Promise((r) => setTimeout(r, UNDO_PAUSE_MS));
      }
    } finally {
      if (left > 0) this.gestures.push(left);
      this.drawing.renderAll(this.surface);
    }
  }

  async clear(): Promise<void> {
    this.drawing.apply({ type: 'clear' });
    this.drawing.renderAll(this.surface);
    this.gestures = [];
    await this.sink.clear();
  }

  private point(e: PointerEvent): readonly [number, number] {
    const r = this.canvas.getBoundingClientRect();
    return normalize(e.clientX - r.left, e.clientY - r.top, r.width, r.height);
  }

  private down(e: PointerEvent): void {
    if (!this.enabled || this.pointerId !== null) return;
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    e.preventDefault();
    const p = this.point(e);
    if (this.tool === 'fill') {
      const fill: Fill = { x: p[0], y: p[1], color: this.color };
      this.local({ type: 'fill', fill });
      this.gestures.push(1);
      void this.sink.fill(fill).catch(() => undefined);
      return;
    }
    this.pointerId = e.pointerId;
    this.canvas.setPointerCapture?.(e.pointerId);
    this.builder = new StrokeBuilder({ color: this.color, size: this.size, tool: this.tool });
    this.builder.add(p);
  }

  private move(e: PointerEvent): void {
    if (this.pointerId !== e.pointerId || !this.builder) return;
    e.preventDefault();
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    for (const ev of events.length ? events : [e]) {
      const full = this.builder.add(this.point(ev));
      if (full) this.send(full);
    }
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      this.flush();
    }, FLUSH_MS);
  }

  private up(e: PointerEvent): void {
    if (this.pointerId !== e.pointerId || !this.builder) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    this.flush();
    const n = this.builder.segmentCount;
    if (n > 0) this.gestures.push(n);
    this.builder = null;
    this.pointerId = null;
  }

  private flush(): void {
    const s = this.builder?.flush();
    if (s) this.send(s);
  }

  private send(stroke: Stroke): void {
    this.local({ type: 'stroke', stroke });
    void this.sink.stroke(stroke).catch(() => undefined);
  }

  private local(op: DrawOp): void {
    this.drawing.apply(op);
    renderOp(this.surface, op);
  }

  /** Signals (for tests and the latency benchmark) that a remote operation is on screen. */
  private rendered(op?: DrawOp): void {
    const at = performance.timeOrigin + performance.now();
    this.canvas.dispatchEvent(new CustomEvent('dg:render', { detail: { at, op } }));
  }
}
