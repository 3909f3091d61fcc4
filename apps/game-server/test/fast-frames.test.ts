import type { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import { textFrame } from '../src/fast-frames';

// `ws` exports its frame parser (the one every `ws` client uses); its types do not declare it.
const { Receiver } = WebSocket as unknown as {
  Receiver: new (opts: { isServer: boolean }) => EventEmitter & { write(chunk: Buffer): void };
};

/** Decodes a server frame with `ws`'s own parser: what a real client does with it. */
function decode(frame: Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const r = new Receiver({ isServer: false });
    r.on('message', (data: Buffer, isBinary: boolean) =>
      isBinary ? reject(new Error('binary frame')) : resolve(data.toString()),
    );
    r.on('error', reject);
    r.write(frame);
  });
}

describe('textFrame', () => {
  // The three length encodings of RFC 6455 (7-bit, 16-bit, 64-bit), at their edges.
  it.each([0, 1, 125, 126, 65535, 65536, 70000])('frames %i bytes so ws reads them back', async (n) => {
    const text = 'x'.repeat(n);
    const frame = textFrame(text);
    expect(frame.length).toBe(n + (n < 126 ? 2 : n < 65536 ? 4 : 10));
    await expect(decode(frame)).resolves.toBe(text);
  });

  it('counts UTF-8 bytes, not characters', async () => {
    const text = '4["chat:message",{"text":"정답 🎨"}]';
    await expect(decode(textFrame(text))).resolves.toBe(text);
    expect(textFrame(text).length).toBe(Buffer.byteLength(text) + 2);
  });
});
