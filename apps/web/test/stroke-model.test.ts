import { clientSchemas, LIMITS, type DrawOp, type Stroke } from '@hybrid/game-protocol';
import {
  BACKGROUND,
  Drawing,
  StrokeBuilder,
  floodFill,
  lineWidthFor,
  normalize,
  parseColor,
  renderStroke,
  type PixelBuffer,
  type Surface,
} from '../src/draw/model';

/** A surface that records every call, with a real pixel buffer for fills. */
function recordingSurface(width = 400, height = 300) {
  const calls: string[] = [];
  const pixels: PixelBuffer = { width, height, data: new Uint8ClampedArray(width * height * 4).fill(255) };
  const s: Surface & { calls: string[]; pixels: PixelBuffer } = {
    canvas: { width, height },
    fillStyle: '',
    strokeStyle: '',
    lineWidth: 1,
    lineCap: 'butt',
    lineJoin: 'miter',
    calls,
    pixels,
    fillRect: (x, y, w, h) => calls.push(`fillRect ${x} ${y} ${w} ${h} ${String(s.fillStyle)}`),
    beginPath: () => calls.push('beginPath'),
    moveTo: (x, y) => calls.push(`moveTo ${x} ${y}`),
    lineTo: (x, y) => calls.push(`lineTo ${x} ${y}`),
    quadraticCurveTo: (cx, cy, x, y) => calls.push(`quad ${cx} ${cy} ${x} ${y}`),
    arc: (x, y, r) => calls.push(`arc ${x} ${y} ${r}`),
    stroke: () => calls.push(`stroke ${String(s.strokeStyle)} ${s.lineWidth}`),
    fill: () => calls.push(`fill ${String(s.fillStyle)}`),
    getImageData: () => pixels,
    putImageData: () => calls.push('putImageData'),
  };
  return s;
}

const stroke = (points: [number, number][], extra: Partial<Stroke> = {}): Stroke => ({
  points,
  color: '#ff0000',
  size: 8,
  tool: 'pen',
  ...extra,
});

describe('normalize', () => {
  it('maps pixels to 0..1 on each axis, clamped, at 4 decimals', () => {
    expect(normalize(200, 150, 400, 300)).toEqual([0.5, 0.5]);
    expect(normalize(-5, 900, 400, 300)).toEqual([0, 1]);
    expect(normalize(1, 1, 3, 3)).toEqual([0.3333, 0.3333]);
  });
  it('refuses a surface without a size', () => {
    expect(() => normalize(1, 1, 0, 10)).toThrow(/no size/);
  });
});

describe('StrokeBuilder', () => {
  it('produces segments the protocol accepts, continuous across flushes', () => {
    const b = new StrokeBuilder({ color: '#112233', size: 12, tool: 'pen' });
    for (let i = 0; i < 10; i++) b.add([i * 0.01, 0.5]);
    const first = b.flush()!;
    for (let i = 10; i < 20; i++) b.add([i * 0.01, 0.5]);
    const second = b.flush()!;
    expect(first.points).toHaveLength(10);
    expect(second.points[0]).toEqual(first.points[first.points.length - 1]);
    expect(second.points).toHaveLength(11);
    for (const s of [first, second]) expect(clientSchemas['draw:stroke'](s).ok).toBe(true);
    expect(b.segmentCount).toBe(2);
    expect(b.flush()).toBeNull();
  });

  it('splits a long gesture at the protocol point limit', () => {
    const b = new StrokeBuilder({ color: '#112233', size: 4, tool: 'pen' });
    const out: Stroke[] = [];
    for (let i = 0; i < 600; i++) {
      const s = b.add([(i % 300) / 300, Math.floor(i / 300) * 0.5]);
      if (s) out.push(s);
    }
    const tail = b.flush();
    if (tail) out.push(tail);
    expect(out.length).toBeGreaterThanOrEqual(3);
    for (const s of out) {
      expect(s.points.length).toBeLessThanOrEqual(LIMITS.strokePoints.max);
      expect(clientSchemas['draw:stroke'](s).ok).toBe(true);
    }
  });

  it('drops points that barely moved and clamps stray ones', () => {
    const b = new StrokeBuilder({ color: '#000000', size: 4, tool: 'eraser' });
    b.add([0.5, 0.5]);
    b.add([0.5001, 0.5001]);
    b.add([1.7, -3]);
    expect(b.flush()!.points).toEqual([
      [0.5, 0.5],
      [1, 0],
    ]);
  });

  it('turns a tap into a one-point stroke (a dot)', () => {
    const b = new StrokeBuilder({ color: '#000000', size: 4, tool: 'pen' });
    b.add([0.2, 0.2]);
    expect(b.flush()!.points).toEqual([[0.2, 0.2]]);
  });

  it('rejects a size outside the protocol limits', () => {
    expect(() => new StrokeBuilder({ color: '#000000', size: 65, tool: 'pen' })).toThrow(/size/);
  });
});

describe('renderStroke', () => {
  it('scales coordinates and width to the surface and smooths through midpoints', () => {
    const s = recordingSurface(400, 300);
    renderStroke(
      s,
      stroke([
        [0, 0],
        [0.5, 0.5],
        [1, 1],
      ]),
    );
    expect(s.calls).toEqual([
      'beginPath',
      'moveTo 0 0',
      'quad 200 150 300 225',
      'lineTo 400 300',
      'stroke #ff0000 4',
    ]);
    expect(lineWidthFor(8, 400)).toBe(4);
  });
  it('paints the eraser in the background color and a single point as a dot', () => {
    const s = recordingSurface(800, 600);
    renderStroke(s, stroke([[0.25, 0.5]], { tool: 'eraser', size: 10 }));
    expect(s.calls).toEqual(['beginPath', 'arc 200 300 5', `fill ${BACKGROUND}`]);
  });
});

describe('floodFill', () => {
  /** A white 10x10 buffer with a black vertical wall at x = 5. */
  function walled(): PixelBuffer {
    const buf: PixelBuffer = { width: 10, height: 10, data: new Uint8ClampedArray(400).fill(255) };
    for (let y = 0; y < 10; y++) buf.data.set([0, 0, 0, 255], (5 + y * 10) * 4);
    return buf;
  }
  const px = (b: PixelBuffer, x: number, y: number) => [
    ...b.data.slice((x + y * b.width) * 4, (x + y * b.width) * 4 + 3),
  ];

  it('fills the connected region only, up to the wall', () => {
    const b = walled();
    expect(floodFill(b, 1, 1, '#00ff00')).toBe(50);
    expect(px(b, 0, 9)).toEqual([0, 255, 0]);
    expect(px(b, 4, 0)).toEqual([0, 255, 0]);
    expect(px(b, 5, 5)).toEqual([0, 0, 0]);
    expect(px(b, 6, 5)).toEqual([255, 255, 255]);
  });
  it('changes nothing when the region already has the color, and clamps the start point', () => {
    const b = walled();
    expect(floodFill(b, 50, -3, '#ffffff')).toBe(0);
    expect(floodFill(b, 50, -3, '#0000ff')).toBe(40);
    expect(px(b, 9, 0)).toEqual([0, 0, 255]);
  });
  it('rejects a malformed color', () => {
    expect(() => parseColor('red')).toThrow(/#rrggbb/);
  });
});

describe('Drawing', () => {
  const op = (n: number): DrawOp => ({ type: 'stroke', stroke: stroke([[n / 10, n / 10]]) });

  it('undoes strokes and fills in reverse order but never past a clear', () => {
    const d = new Drawing();
    d.apply(op(1));
    d.apply({ type: 'fill', fill: { x: 0.5, y: 0.5, color: '#00ff00' } });
    expect(d.undo()).toBe(true);
    expect(d.operations).toEqual([op(1)]);
    d.apply({ type: 'clear' });
    d.apply(op(2));
    expect(d.undo()).toBe(true);
    expect(d.undo()).toBe(false);
    expect(d.operations).toEqual([{ type: 'clear' }]);
  });

  it('rebuilds from a server sync and repaints from a white background', () => {
    const d = new Drawing();
    d.reset([op(1), { type: 'clear' }, op(2), op(3)]);
    expect(d.operations).toEqual([{ type: 'clear' }, op(2), op(3)]);
    const s = recordingSurface(100, 75);
    d.renderAll(s);
    expect(s.calls[0]).toBe(`fillRect 0 0 100 75 ${BACKGROUND}`);
    expect(s.calls.filter((c) => c.startsWith('arc'))).toHaveLength(2);
  });
});
