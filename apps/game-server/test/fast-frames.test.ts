import type { EventEmitter } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type Namespace } from 'socket.io';
import { io as connect, type Socket as ClientSocket } from 'socket.io-client';
import WebSocket from 'ws';
import {
  emitToLocalRoom,
  eventPacket,
  textFrame,
  writeAtTurnEnd,
  writeFramesDirectly,
  type EngineSocket,
  type FastFrameStats,
} from '../src/fast-frames';
import { until } from './helpers';

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

/** A real Socket.IO server with the direct frame writes installed, and real clients. */
describe('relays and deferred writes on a live server', () => {
  let http: ReturnType<typeof createServer>;
  let io: Server;
  let url: string;
  let stats: FastFrameStats;
  const clients: ClientSocket[] = [];

  beforeAll(async () => {
    http = createServer();
    io = new Server(http);
    stats = writeFramesDirectly(io);
    await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.disconnect();
  });
  afterAll(async () => {
    await io.close();
  });

  /** A connected client, what it receives in order, and its socket on the server. */
  async function client(transports: ('websocket' | 'polling')[] = ['websocket']) {
    const c = connect(url, { transports, forceNew: true, reconnection: false });
    clients.push(c);
    const got: string[] = [];
    c.onAny((event: string, payload: unknown) => got.push(`${event}:${JSON.stringify(payload)}`));
    await new Promise<void>((r, j) => {
      c.once('connect', r);
      c.once('connect_error', j);
    });
    const server = io.sockets.sockets.get(c.id!)!;
    return { c, got, server, conn: server.conn as unknown as EngineSocket };
  }
  const nsp = () => io.sockets as unknown as Namespace;
  /** `got`, once it holds `n` events. */
  const received = (got: string[], n: number) =>
    until(() => (got.length >= n ? got : undefined), 2000, `${n} events`);

  it('writes a deferred packet at the end of the turn, before anything sent to the same client after it', async () => {
    const [a, b, c, d] = [await client(), await client(), await client(), await client()];
    await Promise.all([a.server.join('r'), b.server.join('r')]);
    // In one turn: for `a`, a deferred packet then a room relay; for `c`, a deferred packet then
    // an emit through Socket.IO; for `d`, a deferred packet alone, written when the turn ends.
    writeAtTurnEnd(a.conn, eventPacket('first', '1'));
    emitToLocalRoom(nsp(), 'r', b.server.id, eventPacket('relay', '2'));
    writeAtTurnEnd(c.conn, eventPacket('first', '1'));
    c.server.emit('emit', 2);
    writeAtTurnEnd(d.conn, eventPacket('alone', '3'));
    expect(await received(a.got, 2)).toEqual(['first:1', 'relay:2']);
    expect(await received(c.got, 2)).toEqual(['first:1', 'emit:2']);
    expect(await received(d.got, 1)).toEqual(['alone:3']);
  });

  it('keeps each packet deferred for one client in the order it was given', async () => {
    const a = await client();
    for (let i = 0; i < 5; i++) writeAtTurnEnd(a.conn, eventPacket('n', String(i)));
    expect(await received(a.got, 5)).toEqual(['n:0', 'n:1', 'n:2', 'n:3', 'n:4']);
  });

  it("follows a room's members as they join, leave and disconnect", async () => {
    const [a, b, c] = [await client(), await client(), await client()];
    await Promise.all([a.server.join('r'), b.server.join('r'), c.server.join('r')]);
    const relay = (n: number) => emitToLocalRoom(nsp(), 'r', a.server.id, eventPacket('x', String(n)));
    relay(1);
    await received(b.got, 1);
    await received(c.got, 1);
    await c.server.leave('r');
    relay(2);
    const d = await client();
    await d.server.join('r');
    relay(3);
    expect(await received(b.got, 3)).toEqual(['x:1', 'x:2', 'x:3']);
    b.c.disconnect();
    await until(() => (io.sockets.sockets.has(b.server.id) ? undefined : true), 2000, 'the disconnect');
    relay(4);
    expect(await received(d.got, 2)).toEqual(['x:3', 'x:4']);
    expect(c.got).toEqual(['x:1']);
    // The sender never receives its own relay.
    expect(a.got).toEqual([]);
  });

  it('reaches a member that joined on long-polling, before and after it upgrades to WebSocket', async () => {
    const a = await client();
    const p = await client(['polling', 'websocket']);
    expect(p.conn.transport.name).toBe('polling');
    await Promise.all([a.server.join('r'), p.server.join('r')]);
    emitToLocalRoom(nsp(), 'r', a.server.id, eventPacket('x', '1'));
    await received(p.got, 1);
    await until(() => (p.conn.transport.name === 'websocket' ? true : undefined), 2000, 'the upgrade');
    expect(p.conn.transport.name).toBe('websocket');
    const direct = stats.direct;
    emitToLocalRoom(nsp(), 'r', a.server.id, eventPacket('x', '2'));
    expect(await received(p.got, 2)).toEqual(['x:1', 'x:2']);
    // After the upgrade the relay is written straight to the WebSocket, not queued in Engine.IO.
    expect(stats.direct).toBe(direct + 1);
  });
});
