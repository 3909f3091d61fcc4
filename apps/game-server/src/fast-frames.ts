import type { Namespace, Server } from 'socket.io';

/**
 * The parts of an Engine.IO socket this touches. Engine.IO's own WebSocket transport writes
 * frames with `socket._sender.sendFrame` (its `_canSendPreEncodedFrame` path); these fields are
 * not public API, so every one is checked before use and the normal path is taken whenever
 * anything differs (versions are pinned by the lockfile; a test fails if the fast path stops
 * being taken).
 */
export interface EngineSocket {
  readyState: string;
  writeBuffer: unknown[];
  transport: EngineTransport;
  write(data: unknown, options?: { wsPreEncodedFrame?: Buffer[] }, callback?: () => void): unknown;
}

interface EngineTransport {
  name: string;
  writable: boolean;
  perMessageDeflate?: unknown;
  socket?: {
    _sender?: Partial<WsSender>;
  };
}

/** What this touches of a `ws` Sender. `sendFrame` writes the list's one buffer (or a corked pair). */
interface WsSender {
  sendFrame(frame: Buffer[], cb?: () => void): void;
  _queue: unknown[];
}

export interface FastFrameStats {
  /** Broadcast frames written straight to the WebSocket. */
  direct: number;
  /** Packets for one socket (acks, direct emits) written straight to the WebSocket. */
  directSingle: number;
}

/**
 * A whole unmasked WebSocket text frame (RFC 6455 section 5.2: FIN + opcode 1, then the
 * payload length in 7, 7+16 or 7+64 bits) carrying `text`, in one buffer.
 */
export function textFrame(text: string): Buffer {
  const len = Buffer.byteLength(text);
  const head = len < 126 ? 2 : len < 65536 ? 4 : 10;
  const out = Buffer.allocUnsafe(head + len);
  out[0] = 0x81;
  if (head === 2) out[1] = len;
  else if (head === 4) {
    out[1] = 126;
    out.writeUInt16BE(len, 2);
  } else {
    out[1] = 127;
    out.writeBigUInt64BE(BigInt(len), 2);
  }
  out.write(text, head, 'utf8');
  return out;
}

/**
 * Writes what Socket.IO sends to a client straight to its WebSocket as one frame in one buffer,
 * when nothing can be reordered by doing so: the connection is open on the WebSocket transport,
 * not compressing, not waiting on a write, and has nothing buffered in Engine.IO or `ws`.
 *
 * - Broadcasts (room relays, local or from another replica through the Redis adapter) arrive
 *   with the frame the adapter encoded once, as header and payload; they are joined once per
 *   broadcast (the recipients of one broadcast are written one after another) so each recipient
 *   costs one `write` instead of a corked pair turned into a `writev`.
 * - A text packet for this socket alone (an ack, a direct emit) is framed here: Engine.IO would
 *   otherwise build a packet, emit five events and wait for a write callback.
 *
 * Anything else (a write callback, binary data, polling clients, a busy socket) takes the normal
 * path, so the order of what a client receives is unchanged.
 */
export function writeFramesDirectly(io: Server): FastFrameStats {
  const stats: FastFrameStats = { direct: 0, directSingle: 0 };
  statsOf.set(io, stats);
  let lastFrame: Buffer[] | undefined;
  let lastJoined: Buffer[] | undefined;
  io.engine.on('connection', (raw: EngineSocket) => {
    const write = raw.write.bind(raw);
    hooked.add(raw);
    raw.write = (data, options, callback) => {
      if (later.size !== 0) writeWaiting(raw);
      const sender = callback === undefined ? idleSender(raw) : undefined;
      if (!sender) return write(data, options, callback);
      const frame = options?.wsPreEncodedFrame;
      if (frame !== undefined) {
        if (frame !== lastFrame) {
          lastFrame = frame;
          lastJoined = [frame.length === 1 ? frame[0]! : Buffer.concat(frame)];
        }
        sender.sendFrame(lastJoined!);
        stats.direct++;
        return raw;
      }
      if (typeof data !== 'string') return write(data, options, callback);
      // "4" is Engine.IO's message packet type.
      sender.sendFrame([textFrame(`4${data}`)]);
      stats.directSingle++;
      return raw;
    };
  });
  return stats;
}

/** Each server's counters, for `emitToLocalRoom`. */
const statsOf = new WeakMap<object, FastFrameStats>();

/** The connections whose writes pass through `writeFramesDirectly`. */
const hooked = new WeakSet<EngineSocket>();
/** Packets waiting for the end of this event-loop turn, by connection (`writeAtTurnEnd`). */
let later = new Map<EngineSocket, string[]>();

/**
 * Writes `packet` (a Socket.IO packet, as Engine.IO's `write` takes it) to `conn` at the end of
 * this event-loop turn, in the check phase (`setImmediate`) that follows the reads of this turn.
 *
 * For acks of draw events: under load one turn reads many drawers' strokes, and each stroke's
 * relays are what the rest of the room waits for. Writing the drawers' acks after all of them
 * takes one write per stroke off the path of every later relay in the turn; an ack waits for
 * that turn's reads to be handled, no longer.
 *
 * Nothing is reordered. Anything else written to `conn` before then (through Engine.IO, or a room
 * relay from `emitToLocalRoom`) first writes what is waiting. A connection whose writes do not
 * pass through `writeFramesDirectly` is written at once.
 */
export function writeAtTurnEnd(conn: EngineSocket, packet: string): void {
  if (!hooked.has(conn)) {
    conn.write(packet);
    return;
  }
  if (later.size === 0) setImmediate(writeAllWaiting);
  const waiting = later.get(conn);
  if (waiting) waiting.push(packet);
  else later.set(conn, [packet]);
}

/** Writes what waits for `conn`, if anything. */
function writeWaiting(conn: EngineSocket): void {
  const waiting = later.get(conn);
  if (!waiting) return;
  later.delete(conn);
  for (const packet of waiting) conn.write(packet);
}

function writeAllWaiting(): void {
  const batch = later;
  later = new Map();
  for (const [conn, waiting] of batch) {
    // Engine.IO and `ws` report a failed write as an event, not by throwing; should one throw
    // anyway, the other connections still get theirs and the process does not go down with it.
    try {
      for (const packet of waiting) conn.write(packet);
    } catch {
      continue;
    }
  }
}

/**
 * The `ws` sender under `t`, when a whole frame can be written to it: the WebSocket transport,
 * not compressing. Otherwise undefined.
 */
function wsSenderOf(t: EngineTransport): WsSender | undefined {
  const sender = t.socket?._sender;
  return t.name === 'websocket' &&
    !t.perMessageDeflate &&
    typeof sender?.sendFrame === 'function' &&
    Array.isArray(sender._queue)
    ? (sender as WsSender)
    : undefined;
}

/**
 * Whether a whole frame can be written to `sender` (`wsSenderOf(t)`, `t` being `raw`'s transport)
 * now without reordering anything: `raw` is open, `t` is not waiting on a write, and nothing is
 * buffered in Engine.IO or `ws`.
 */
const idle = (raw: EngineSocket, t: EngineTransport, sender: WsSender): boolean =>
  raw.readyState === 'open' && t.writable && raw.writeBuffer.length === 0 && sender._queue.length === 0;

/** The `ws` sender of an Engine.IO socket when a whole frame can be written to it now, else undefined. */
function idleSender(raw: EngineSocket): WsSender | undefined {
  const t = raw.transport;
  const sender = wsSenderOf(t);
  return sender && idle(raw, t, sender) ? sender : undefined;
}

/**
 * Socket.IO's encoding of an event with one argument for the default namespace (type 2, then the
 * JSON arguments), from the argument's JSON text.
 */
export const eventPacket = (event: string, payloadJson: string): string =>
  `2[${JSON.stringify(event)},${payloadJson}]`;

/**
 * A member of a room as a relay writes to it: its connection, and the transport and `ws` sender
 * last seen under it (refreshed when the connection changes transport).
 */
interface Sink {
  readonly id: string;
  readonly conn: EngineSocket;
  transport: EngineTransport;
  sender: WsSender | undefined;
}

/** Each namespace's rooms as lists of sinks, built on a room's first relay and dropped when its members change. */
const sinksOf = new WeakMap<Namespace, Map<string, Sink[]>>();

function roomSinks(nsp: Namespace, room: string): Sink[] | undefined {
  let rooms = sinksOf.get(nsp);
  if (!rooms) {
    const byRoom = (rooms = new Map<string, Sink[]>());
    sinksOf.set(nsp, byRoom);
    const drop = (r: string) => byRoom.delete(r);
    for (const event of ['join-room', 'leave-room', 'delete-room']) nsp.adapter.on(event, drop);
  }
  let sinks = rooms.get(room);
  if (sinks) return sinks;
  const ids = nsp.adapter.rooms.get(room);
  if (!ids) return undefined;
  sinks = [];
  for (const id of ids) {
    const conn = nsp.sockets.get(id)?.conn as unknown as EngineSocket | undefined;
    if (conn) sinks.push({ id, conn, transport: conn.transport, sender: wsSenderOf(conn.transport) });
  }
  rooms.set(room, sinks);
  return sinks;
}

/**
 * Sends an encoded packet (`eventPacket`) to this process's sockets in `room` except the socket
 * `except`, as a room broadcast through Socket.IO's in-memory adapter would: framed once, written
 * to each. What it skips is the broadcast's own machinery (an operator, sets of rooms and of
 * skipped sockets, a search of the payload for binary data, the encoding): about 7% of a relayed
 * stroke's profiled time. Only for the default namespace and JSON payloads; the caller sends the
 * packet to other replicas itself.
 *
 * The room's members are kept as a list of their connections (`roomSinks`), rebuilt when the
 * adapter reports a join or a leave: a relay then reaches each connection without looking its
 * socket up by id.
 */
export function emitToLocalRoom(nsp: Namespace, room: string, except: string, encoded: string): void {
  const sinks = roomSinks(nsp, room);
  if (!sinks || (sinks.length === 1 && sinks[0]!.id === except)) return;
  const frame = [textFrame(`4${encoded}`)];
  let options: { wsPreEncodedFrame: Buffer[] } | undefined;
  let direct = 0;
  for (const sink of sinks) {
    if (sink.id === except) continue;
    const conn = sink.conn;
    if (later.size !== 0) writeWaiting(conn);
    if (conn.transport !== sink.transport) {
      sink.transport = conn.transport;
      sink.sender = wsSenderOf(conn.transport);
    }
    // Written here when it can be (the same list for every recipient), else through Engine.IO.
    const sender = sink.sender;
    if (sender !== undefined && idle(conn, sink.transport, sender)) {
      sender.sendFrame(frame);
      direct++;
    } else conn.write(encoded, (options ??= { wsPreEncodedFrame: frame }));
  }
  const stats = statsOf.get(nsp.server);
  if (stats) stats.direct += direct;
}
