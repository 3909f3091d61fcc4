import type { Server } from 'socket.io';

/**
 * The parts of an Engine.IO socket this touches. Engine.IO's own WebSocket transport writes
 * pre-encoded frames with `socket._sender.sendFrame` (its `_canSendPreEncodedFrame`); these
 * fields are not public API, so every one is checked before use and the normal path is taken
 * whenever anything differs (versions are pinned by the lockfile; a test fails if the fast path
 * stops being taken).
 */
interface EngineSocket {
  readyState: string;
  writeBuffer: unknown[];
  transport: {
    name: string;
    writable: boolean;
    perMessageDeflate?: unknown;
    socket?: { _sender?: { sendFrame?: (frame: Buffer[], cb?: () => void) => void } };
  };
  write(data: unknown, options?: { wsPreEncodedFrame?: Buffer[] }, callback?: () => void): unknown;
}

export interface FastFrameStats {
  /** Broadcast frames written straight to the WebSocket. */
  direct: number;
}

/**
 * Broadcasts (room relays, local or from another replica through the Redis adapter) reach each
 * recipient as a WebSocket frame the adapter encoded once. Engine.IO still builds a packet, emits
 * five events and waits for a write callback per recipient; this writes that frame to the
 * recipient's WebSocket directly when nothing can be reordered by doing so: the connection is
 * open on the WebSocket transport, not compressing, not waiting on a write, and has nothing
 * buffered. Anything else (acks, direct emits, polling clients, a busy socket) takes the normal
 * path, so the order of what a client receives is unchanged.
 */
export function writeBroadcastFramesDirectly(io: Server): FastFrameStats {
  const stats: FastFrameStats = { direct: 0 };
  io.engine.on('connection', (raw: EngineSocket) => {
    const write = raw.write.bind(raw);
    raw.write = (data, options, callback) => {
      const frame = options?.wsPreEncodedFrame;
      const t = raw.transport;
      const sender = t.socket?._sender;
      if (
        frame !== undefined &&
        callback === undefined &&
        raw.readyState === 'open' &&
        t.name === 'websocket' &&
        t.writable &&
        !t.perMessageDeflate &&
        raw.writeBuffer.length === 0 &&
        typeof sender?.sendFrame === 'function'
      ) {
        sender.sendFrame(frame);
        stats.direct++;
        return raw;
      }
      return write(data, options, callback);
    };
  });
  return stats;
}
