/**
 * The canvas stroke model, free of the DOM so it is tested under Node: the drawing as an ordered
 * list of protocol operations, a builder that turns pointer samples into normalized, smoothed
 * stroke segments small enough for the protocol, a renderer onto any 2D-context-like surface, and
 * a flood fill over an RGBA pixel buffer.
 */
import { LIMITS, type DrawOp, type Fill, type Point, type Stroke, type Tool } from '@hybrid/game-protocol';

/** Width the stroke `size` is measured against: size 8 is 8 px on an 800 px wide canvas. */
export const REFERENCE_WIDTH = 800;
/** Canvas aspect ratio (width / height); normalized coordinates are relative to each side. */
export const ASPECT = 4 / 3;
export const BACKGROUND = '#ffffff';
/** Points closer than this (normalized) to the previous one are dropped. */
export const MIN_STEP = 0.0015;

export const clamp01 = (n: number): number => (n < 0 ? 0 : n > 1 ? 1 : n);
const round4 = (n: number): number => Math.round(n * 10000) / 10000;

/** Converts a position in a box of `width` x `height` pixels into normalized coordinates. */
export function normalize(x: number, y: number, width: number, height: number): Point {
  if (!(width > 0) || !(height > 0)) throw new Error('normalize: the surface has no size');
  return [round4(clamp01(x / width)), round4(clamp01(y / height))];
}

export interface StrokeStyle {
  readonly color: string;
  readonly size: number;
  readonly tool: Tool;
}

/**
 * Collects the points of one gesture and hands them out as protocol-sized segments while the
 * gesture goes on, so the other players see the line as it is drawn. Each segment after the first
 * starts with the last point of the previous one, so the rendered line has no gaps.
 */
export class StrokeBuilder {
  private readonly pending: Point[] = [];
  private last: Point | null = null;
  private segments = 0;

  constructor(readonly style: StrokeStyle) {
    if (style.size < LIMITS.strokeSize.min || style.size > LIMITS.strokeSize.max)
      throw new Error(`stroke size must be ${LIMITS.strokeSize.min}..${LIMITS.strokeSize.max}`);
  }

  /** Adds a normalized point; returns a full segment when the protocol's point limit is reached. */
  add(p: Point): Stroke | null {
    const q: Point = [round4(clamp01(p[0])), round4(clamp01(p[1]))];
    const prev = this.pending[this.pending.length - 1] ?? this.last;
    if (prev && Math.hypot(q[0] - prev[0], q[1] - prev[1]) < MIN_STEP) return null;
    this.pending.push(q);
    if (this.pending.length + (this.last ? 1 : 0) >= LIMITS.strokePoints.max) return this.flush();
    return null;
  }

  /** The points gathered since the last flush as a stroke, or null when there are none. */
  flush(): Stroke | null {
    if (this.pending.length === 0) {
      // A tap: a single point still makes a dot.
      return null;
    }
    const points = this.last ? [this.last, ...this.pending] : [...this.pending];
    this.last = this.pending[this.pending.length - 1]!;
    this.pending.length = 0;
    this.segments += 1;
    return { points, color: this.style.color, size: this.style.size, tool: this.style.tool };
  }

  /** How many segments this gesture produced so far. */
  get segmentCount(): number {
    return this.segments;
  }
}

/** The smallest surface the renderer needs; a CanvasRenderingContext2D satisfies it. */
export interface Surface {
  readonly canvas: { readonly width: number; readonly height: number };
  fillStyle: string | CanvasGradientLike;
  strokeStyle: string | CanvasGradientLike;
  lineWidth: number;
  lineCap: 'butt' | 'round' | 'square';
  lineJoin: 'bevel' | 'miter' | 'round';
  fillRect(x: number, y: number, w: number, h: number): void;
  beginPath(): void;
  moveTo(x: number, y: number): void;
  lineTo(x: number, y: number): void;
  quadraticCurveTo(cx: number, cy: number, x: number, y: number): void;
  arc(x: number, y: number, r: number, start: number, end: number): void;
  stroke(): void;
  fill(): void;
  getImageData(x: number, y: number, w: number, h: number): PixelBuffer;
  putImageData(data: PixelBuffer, x: number, y: number): void;
}
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
interface CanvasGradientLike {}

export interface PixelBuffer {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

export function parseColor(hex: string): [number, number, number] {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`not a #rrggbb color: ${hex}`);
  return [parseInt(m[1]!, 16), parseInt(m[2]!, 16), parseInt(m[3]!, 16)];
}

/** Line width in pixels for a stroke size on a canvas `width` pixels wide. */
export const lineWidthFor = (size: number, width: number): number =>
  Math.max(1, (size * width) / REFERENCE_WIDTH);

/** Draws one stroke: a dot for one point, else a smoothed line through the midpoints. */
export function renderStroke(s: Surface, stroke: Stroke): void {
  const { width, height } = s.canvas;
  const color = stroke.tool === 'eraser' ? BACKGROUND : stroke.color;
  const lw = lineWidthFor(stroke.size, width);
  const pts = stroke.points.map(([x, y]) => [x * width, y * height] as const);
  const first = pts[0];
  if (!first) return;
  if (pts.length === 1) {
    s.fillStyle = color;
    s.beginPath();
    s.arc(first[0], first[1], lw / 2, 0, Math.PI * 2);
    s.fill();
    return;
  }
  s.strokeStyle = color;
  s.lineWidth = lw;
  s.lineCap = 'round';
  s.lineJoin = 'round';
  s.beginPath();
  s.moveTo(first[0], first[1]);
  for (let i = 1; i < pts.length - 1; i++) {
    const [x, y] = pts[i]!;
    const [nx, ny] = pts[i + 1]!;
    s.quadraticCurveTo(x, y, (x + nx) / 2, (y + ny) / 2);
  }
  const last = pts[pts.length - 1]!;
  s.lineTo(last[0], last[1]);
  s.stroke();
}

/**
 * Scanline flood fill of the region connected to (x, y) whose color is within `tolerance` (per
 * channel) of the start pixel. Returns how many pixels changed.
 */
export function floodFill(buf: PixelBuffer, x: number, y: number, color: string, tolerance = 24): number {
  const { width, height, data } = buf;
  const sx = Math.min(width - 1, Math.max(0, Math.floor(x)));
  const sy = Math.min(height - 1, Math.max(0, Math.floor(y)));
  const [r, g, b] = parseColor(color);
  const at = (sx + sy * width) * 4;
  const tr = data[at]!;
  const tg = data[at + 1]!;
  const tb = data[at + 2]!;
  if (Math.abs(tr - r) <= 0 && Math.abs(tg - g) <= 0 && Math.abs(tb - b) <= 0) return 0;
  const seen = new Uint8Array(width * height);
  const matches = (i: number): boolean => {
    if (seen[i]) return false;
    const o = i * 4;
    return (
      Math.abs(data[o]! - tr) <= tolerance &&
      Math.abs(data[o + 1]! - tg) <= tolerance &&
      Math.abs(data[o + 2]! - tb) <= tolerance
    );
  };
  let changed = 0;
  const stack: number[] = [sx + sy * width];
  while (stack.length) {
    const start = stack.pop()!;
    if (!matches(start)) continue;
    const row = Math.floor(start / width);
    let left = start;
    while (left % width > 0 && matches(left - 1)) left--;
    let right = start;
    while ((right + 1) % width !== 0 && matches(right + 1)) right++;
    for (let i = left; i <= right; i++) {
      seen[i] = 1;
      const o = i * 4;
      data[o] = r;
      data[o + 1] = g;
      data[o + 2] = b;
      data[o + 3] = 255;
      changed++;
      if (row > 0 && matches(i - width)) stack.push(i - width);
      if (row < height - 1 && matches(i + width)) stack.push(i + width);
    }
  }
  return changed;
}

export function renderFill(s: Surface, fill: Fill): void {
  const { width, height } = s.canvas;
  const buf = s.getImageData(0, 0, width, height);
  if (floodFill(buf, fill.x * width, fill.y * height, fill.color) > 0) s.putImageData(buf, 0, 0);
}

export function clearSurface(s: Surface): void {
  s.fillStyle = BACKGROUND;
  s.fillRect(0, 0, s.canvas.width, s.canvas.height);
}

export function renderOp(s: Surface, op: DrawOp): void {
  if (op.type === 'stroke') renderStroke(s, op.stroke);
  else if (op.type === 'fill') renderFill(s, op.fill);
  else clearSurface(s);
}

/**
 * The picture as the ordered list of operations the server keeps. Undo removes the last stroke or
 * fill (a clear cannot be undone); the visible picture is everything after the last clear.
 */
export class Drawing {
  private ops: DrawOp[] = [];

  get operations(): readonly DrawOp[] {
    return this.ops;
  }

  apply(op: DrawOp): void {
    if (op.type === 'clear') this.ops = [op];
    else this.ops.push(op);
  }

  /** Replaces the whole picture, e.g. with the server's `draw:sync` list. */
  reset(ops: readonly DrawOp[] = []): void {
    this.ops = [];
    for (const op of ops) this.apply(op);
  }

  /** Removes the last stroke or fill; returns whether anything was removed. */
  undo(): boolean {
    for (let i = this.ops.length - 1; i >= 0; i--) {
      if (this.ops[i]!.type === 'clear') return false;
      this.ops.splice(i, 1);
      return true;
    }
    return false;
  }

  /** Paints the whole picture from scratch. */
  renderAll(s: Surface): void {
    clearSurface(s);
    for (const op of this.ops) if (op.type !== 'clear') renderOp(s, op);
  }
}
