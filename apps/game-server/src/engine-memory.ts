import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Server } from 'socket.io';

/**
 * Lets each connection's handshake request go once the connection is open. It is about 2 KB per
 * client (the request, its raw headers, its stream state), 2 MB at 1,000 clients, that nothing
 * here reads after the handshake: the Origin is checked in `allowRequest`, and the headers
 * Socket.IO keeps in `socket.handshake` are a separate reference.
 *
 * - Engine.IO keeps the request as the session's `request` (for middlewares such as
 *   express-session); it is dropped on `connection`, as Socket.IO's memory-usage guide suggests.
 * - For a WebSocket upgrade, Engine.IO's stand-in response (`WebSocketResponse`, given to its
 *   middlewares) holds the request too, and a `close` listener on the TCP socket holds the
 *   response until the connection ends. The response is seen here through Engine.IO's public
 *   middleware hook, and its reference to the request is cleared once Engine.IO has sent the
 *   handshake's headers (its `headers` event): after that it only serves `end()`, which uses
 *   the TCP socket. Polling requests get a real `ServerResponse`, which is left alone.
 */
export function releaseHandshakeRequests(io: Server): void {
  const upgrades = new WeakMap<IncomingMessage, { req?: unknown }>();
  io.engine.use((req: IncomingMessage, res: unknown, next: () => void) => {
    if (!(res instanceof ServerResponse) && typeof res === 'object' && res !== null && 'req' in res)
      upgrades.set(req, res as { req?: unknown });
    next();
  });
  io.engine.on('headers', (_headers: unknown, req: IncomingMessage) => {
    const res = upgrades.get(req);
    if (res) res.req = undefined;
  });
  io.engine.on('connection', (raw: { request: unknown }) => {
    raw.request = null;
  });
}
