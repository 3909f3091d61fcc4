// The reference for `pnpm bench game`: the least a relay can do. Raw `ws`, rooms by query string,
// every message from a client is sent as-is to the other clients of its room. No validation, no
// acks, no state: what the game server is measured against.
//
// With REDIS_URL it is also the least a replicated relay can do: several of these processes share
// rooms through Redis pub/sub, each sending what its clients send to the others, batched per
// event-loop turn as the game server's adapter does. That shows what the Redis hop itself costs on
// this machine, apart from the game server's own work.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.env.PORT ?? 0);
const rooms = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ port, host: '127.0.0.1', maxPayload: 64 * 1024 });

const redisUrl = process.env.REDIS_URL;
const channel = `${process.env.REDIS_KEY_PREFIX ?? ''}relay`;
const me = randomBytes(6).toString('hex');
const pub = redisUrl ? new Redis(redisUrl) : undefined;
const sub = redisUrl ? new Redis(redisUrl) : undefined;
let pending: [string, string][] = [];
let scheduled = false;

function sendLocal(room: string, data: string | Buffer, binary: boolean, except?: WebSocket) {
  for (const other of rooms.get(room) ?? [])
    if (other !== except && other.readyState === other.OPEN) other.send(data, { binary });
}

if (sub) {
  void sub.subscribe(channel);
  sub.on('message', (_ch: string, message: string) => {
    const [from, msgs] = JSON.parse(message) as [string, [string, string][]];
    if (from !== me) for (const [room, data] of msgs) sendLocal(room, data, false);
  });
}

wss.on('connection', (ws, req) => {
  const room = new URL(req.url ?? '/', 'http://x').searchParams.get('room') ?? '0';
  let members = rooms.get(room);
  if (!members) rooms.set(room, (members = new Set()));
  members.add(ws);
  ws.on('message', (data, isBinary) => {
    if (!pub) return sendLocal(room, data as Buffer, isBinary, ws);
    const text = data.toString();
    pending.push([room, text]);
    if (!scheduled) {
      scheduled = true;
      setImmediate(() => {
        scheduled = false;
        const msgs = pending;
        pending = [];
        void pub.publish(channel, JSON.stringify([me, msgs]));
      });
    }
    sendLocal(room, text, false, ws);
  });
  ws.on('close', () => members.delete(ws));
});
wss.on('listening', () => {
  const addr = wss.address();
  process.stdout.write(`listening ${addr !== null && typeof addr === 'object' ? addr.port : addr}\n`);
});
process.on('SIGTERM', () => {
  pub?.disconnect();
  sub?.disconnect();
  wss.close(() => process.exit(0));
});
