import type { Namespace, Server } from 'socket.io';

/**
 * The parts of an Engine.IO socket this touches. Engine.IO's own WebSocket transport writes
 * frames with `socket._sender.sendFrame` (its `_canSendPreEncodedFrame` path); these fields are
 * not public API, so every one is checked before use and the normal path is taken whenever
 * anything differs (versions are pinned by the lockfile; a test fails if the fast path stops
 * being taken).
 */
interface EngineSocket {
  readyState: string;
  writeBuffer: unknown[];
  transport: {
    name: string;
    writable: boolean;
    perMessageDeflate?: unknown;
    socket?: {
      _sender?: Partial<WsSender>;
    };
  };
  write(data: unknown, options?: { wsPreEncodedFrame?: Buffer[] }, callback?: () => void): unknown;
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
    raw.write = (data, options, callback) => {
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

/**
 * The `ws` sender of an Engine.IO socket that a whole frame can be written to now, without
 * reordering anything: open on the WebSocket transport, not compressing, not waiting on a write,
 * nothing buffered in Engine.IO or `ws`. Otherwise undefined.
 */
function idleSender(raw: EngineSocket): WsSender | undefined {
  const t = raw.transport;
  const sender = t.socket?._sender;
  if (
    raw.readyState !== 'open' ||
    t.name !== 'websocket' ||
    !t.writable ||
    t.perMessageDeflate ||
    raw.writeBuffer.length !== 0 ||
    typeof sender?.sendFrame !== 'function' ||
    !Array.isArray(sender._queue) ||
    sender._queue.length !== 0
  )
    return undefined;
  return sender as WsSender;
}

/**
 * Socket.IO's encoding of an event with one argument for the default namespace (type 2, then the
 * JSON arguments), from the argument's JSON text.
 */
export const eventPacket = (event: string, payloadJson: string): string =>
  `2[${JSON.stringify(event)},${payloadJson}]`;

/**
 * Sends an encoded packet (`eventPacket`) to this process's sockets in `room` except the socket
 * `except`, as a room broadcast through Socket.IO's in-memory adapter would: framed once, written
 * to each. What it skips is the broadcast's own machinery (an operator, sets of rooms and of
 * skipped sockets, a search of the payload for binary data, the encoding): about 7% of a relayed
 * stroke's profiled time. Only for the default namespace and JSON payloads; the caller sends the
 * packet to other replicas itself.
 */
export function emitToLocalRoom(nsp: Namespace, room: string, except: string, encoded: string): void {
  const ids = nsp.adapter.rooms.get(room);
  if (!ids || (ids.size === 1 && ids.has(except))) return;
  const frame = [textFrame(`4${encoded}`)];
  let options: { wsPreEncodedFrame: Buffer[] } | undefined;
  let direct = 0;
  for (const id of ids) {
    if (id === except) continue;
    const conn = nsp.sockets.get(id)?.conn as unknown as EngineSocket | undefined;
    if (!conn) continue;
    // Written here when it can be (the same list for every recipient), else through Engine.IO.
    const sender = idleSender(conn);
    if (sender) {
      sender.sendFrame(frame);
      direct++;
    } else conn.write(encoded, (options ??= { wsPreEncodedFrame: frame }));
  }
  const stats = statsOf.get(nsp.server);
  if (stats) stats.direct += direct;
}
