import type { Server, Socket } from 'socket.io';
import { writeAtTurnEnd, type EngineSocket } from './fast-frames';

/** An event read off the wire by `interceptEvents`. */
export interface WireEvent {
  readonly name: string;
  /** The payload (the first argument); `undefined` when the client sent none. */
  readonly payload: unknown;
  /** The client's ack id, or -1 when it asked for no ack. */
  readonly ackId: number;
}

/**
 * Handles one event synchronously, or returns false to leave it to Socket.IO's normal path (which
 * then sees exactly the packet the client sent).
 */
export type EventHandler = (socket: Socket, event: WireEvent) => boolean;

/** The Engine.IO socket under a Socket.IO socket: what this touches of it. */
interface EngineConn {
  on(event: 'data', fn: (data: unknown) => void): unknown;
  off(event: 'data', fn: (data: unknown) => void): unknown;
  listeners(event: 'data'): ((data: unknown) => void)[];
}

/** Socket.IO's packet types (socket.io-parser): `2` is an event. */
const EVENT = 50; // '2'
const ZERO = 48;
const NINE = 57;
/** Socket.IO's own ack ids are counters; more digits than this is not a client we know. */
const MAX_ACK_DIGITS = 15;

/**
 * Reads a Socket.IO event packet for the default namespace, as Engine.IO hands it over
 * (`2<id>["name",payload]`, or `2["name",payload]` without an ack), when its name starts with
 * `prefix`. Anything else (another namespace, binary, more than one argument, JSON that does not
 * parse) is null, and Socket.IO's own decoder gets it, errors and all.
 */
export function readEvent(data: string, prefix: string): WireEvent | null {
  if (data.charCodeAt(0) !== EVENT) return null;
  let i = 1;
  let ackId = 0;
  for (; i < data.length && i <= MAX_ACK_DIGITS; i++) {
    const c = data.charCodeAt(i);
    if (c < ZERO || c > NINE) break;
    ackId = ackId * 10 + (c - ZERO);
  }
  if (i === 1) ackId = -1;
  if (!data.startsWith(prefix, i)) return null;
  let args: unknown;
  try {
    args = JSON.parse(data.slice(i));
  } catch {
    return null;
  }
  if (!Array.isArray(args) || args.length < 1 || args.length > 2 || typeof args[0] !== 'string') return null;
  return { name: args[0], payload: args[1], ackId };
}

/** The frame of an ack for `ackId` carrying `res`, as Socket.IO encodes it for the default namespace. */
export const ackPacket = (ackId: number, res: unknown): string => `3${ackId}${JSON.stringify([res])}`;

/**
 * Lets `handle` take chosen events straight from Engine.IO, before Socket.IO decodes them.
 *
 * Socket.IO reads each packet with its decoder, defers it a tick, defers it again through the
 * socket's middleware chain, builds an ack closure and emits it; for a stroke, which only needs
 * checking and relaying, that was a third of the server's JavaScript per stroke. Here a text packet
 * whose JSON starts with `["<prefix>` is parsed once and given to `handle` in the same turn;
 * whatever `handle` declines, and every other packet, goes to Socket.IO unchanged.
 *
 * Socket.IO's decoder is attached to each connection as its one `data` listener; it is replaced by
 * a listener that tries `handle` first. Where the wiring is not what this expects (another
 * listener, a connection without a socket on the default namespace), nothing is intercepted.
 * After a binary packet, a connection is left to Socket.IO for good: binary attachments arrive as
 * separate packets that only its decoder can put together.
 *
 * An intercepted event reaches no Socket.IO listener or middleware (`onAny`, `socket.use`): the
 * handler is the whole of its handling.
 *
 * Order: an intercepted event runs before events of the same read that Socket.IO deferred. The
 * caller keeps the order that matters to it (the game takes every acked draw event here, and
 * queues a drawer's later draw events behind one that waits for a fresh read of the room).
 */
export function interceptEvents(
  io: Server,
  prefix: string,
  handle: EventHandler,
): { attach(socket: Socket): void; stats: { intercepted: number } } {
  const wirePrefix = `["${prefix}`;
  const stats = { intercepted: 0 };
  /** The socket on the default namespace of each intercepted connection (a client may leave it and come back on the same connection). */
  const current = new WeakMap<EngineConn, Socket>();
  return {
    stats,
    /** Called once a socket has connected to the default namespace. */
    attach(socket) {
      if (socket.nsp !== io.sockets) return;
      const conn = socket.conn as unknown as EngineConn;
      if (current.has(conn)) {
        current.set(conn, socket);
        return;
      }
      const listeners = conn.listeners('data');
      if (listeners.length !== 1) return;
      const decode = listeners[0]!;
      current.set(conn, socket);
      let binary = false;
      const onData = (data: unknown) => {
        const s = current.get(conn)!;
        if (binary || typeof data !== 'string' || !s.connected) {
          binary ||= typeof data !== 'string';
          return decode(data);
        }
        const event = readEvent(data, wirePrefix);
        if (event && handle(s, event)) {
          stats.intercepted++;
          return;
        }
        decode(data);
      };
      conn.off('data', decode);
      conn.on('data', onData);
    },
  };
}

/**
 * Sends the ack of an intercepted event, as Socket.IO would, at the end of this event-loop turn
 * (`writeAtTurnEnd`: after the relays of the other events read in this turn, and before anything
 * else sent to this client). Nothing, for an event sent without an ack.
 */
export function sendAck(socket: Socket, ackId: number, res: unknown): void {
  if (ackId >= 0 && socket.connected)
    writeAtTurnEnd(socket.conn as unknown as EngineSocket, ackPacket(ackId, res));
}
