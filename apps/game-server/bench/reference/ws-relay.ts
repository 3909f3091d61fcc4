// The reference for `pnpm bench game`: the least a relay can do. Raw `ws`, rooms by query string,
// every message from a client is sent as-is to the other clients of its room. No validation, no
// acks, no state: what the game server is measured against.
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.PORT ?? 0);
const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ port, host: '127.0.0.1', maxPayload: 64 * 1024 });

wss.on('connection', (ws, req) => {
  const room = new URL(req.url ?? '/', 'http://x').searchParams.get('room') ?? '0';
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  members.add(ws);
  ws.on('message', (data, isBinary) => {
    for (const other of members)
      if (other !== ws && other.readyState === other.OPEN) other.send(data, { binary: isBinary });
  });
  ws.on('close', () => members.delete(ws));
});
wss.on('listening', () => {
  const addr = wss.address();
  process.stdout.write(`listening ${addr !== null && typeof addr === 'object' ? addr.port : addr}\n`);
});
process.on('SIGTERM', () => wss.close(() => process.exit(0)));
