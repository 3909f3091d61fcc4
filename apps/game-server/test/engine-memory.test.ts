import type { IncomingMessage } from 'node:http';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { io as connect } from 'socket.io-client';
import { Player, startServer, until, type TestServer } from './helpers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Collects garbage until nothing more goes (weak references are cleared across collections). */
async function collect(): Promise<void> {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setImmediate(r));
  }
}

describe('handshake requests', () => {
  let srv: TestServer;
  const requests: WeakRef<IncomingMessage>[] = [];
  beforeAll(async () => {
    srv = await startServer({});
    // Only weak references: the test itself must not keep a request alive.
    srv.svc.app.server.on('upgrade', (req: IncomingMessage) => requests.push(new WeakRef(req)));
  });
  afterAll(async () => srv?.close());

  it('are let go once connected, over WebSocket and after an upgrade from polling', async () => {
    const players = [new Player(srv.url, 'ana'), new Player(srv.url, 'ben')];
    // The default transports: long-polling first, then the upgrade to WebSocket.
    const upgraded = connect(srv.url, { forceNew: true, reconnection: false });
    try {
      await players[0]!.create();
      await players[1]!.join(players[0]!.code);
      await until(() => (upgraded.io.engine?.transport.name === 'websocket' ? true : undefined));
      expect(requests).toHaveLength(3);
      await collect();
      expect(requests.filter((r) => r.deref() !== undefined)).toHaveLength(0);
      // The connections are still whole.
      expect((await players[1]!.call('chat:send', { text: 'still here' })).ok).toBe(true);
      expect((await upgraded.timeout(5000).emitWithAck('room:leave')) as { ok: boolean }).toMatchObject({
        ok: false,
      });
    } finally {
      for (const p of players) p.close();
      upgraded.close();
    }
  });
});
