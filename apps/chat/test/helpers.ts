import { createServer, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { WebSocket } from 'ws';

/** The info service's own migrations (schema and seeded guidance): chat reads that database. */
export const infoMigrationsDir = join(__dirname, '..', '..', 'info', 'migrations');

export type Msg = { type: string; [k: string]: unknown };

/** A WebSocket client that queues every server message and can wait for the next of a type. */
export class Client {
  readonly messages: Msg[] = [];
  private waiters: (() => void)[] = [];
  closeCode: number | undefined;
  closeReason = '';
  readonly closed: Promise<void>;
  readonly opened: Promise<void>;

  constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.messages.push(JSON.parse(d.toString()) as Msg);
      this.wake();
    });
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => {
        this.closeCode = code;
        this.closeReason = reason.toString();
        this.wake();
        resolve();
      }),
    );
    this.opened = new Promise((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
  }
  private wake() {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }
  /** Resolves with the first queued message of this type (removing it and everything before it). */
  async next(type: string, timeoutMs = 10000): Promise<Msg> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex((m) => m.type === type);
      if (i >= 0) return this.messages.splice(0, i + 1)[i]!;
      if (this.closeCode !== undefined)
        throw new Error(`closed (${this.closeCode} ${this.closeReason}) before "${type}"`);
      if (Date.now() > end)
        throw new Error(`no "${type}" message within ${timeoutMs} ms: ${JSON.stringify(this.messages)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 100);
      });
    }
  }
  send(m: unknown) {
    this.ws.send(typeof m === 'string' ? m : JSON.stringify(m));
  }
  /** Asks and collects the streamed tokens and the final message. */
  async ask(text: string, extra: Record<string, unknown> = {}) {
    const id = `q${Math.random().toString(36).slice(2, 8)}`;
    this.send({ type: 'ask', id, text, ...extra });
    const start = await this.next('start');
    const tokens: string[] = [];
    for (;;) {
      const i = this.messages.findIndex(
        (m) => m.id === id && (m.type === 'token' || m.type === 'done' || m.type === 'error'),
      );
      if (i < 0) {
        await this.next('__none__', 50).catch(() => undefined);
        if (this.closeCode !== undefined) throw new Error('closed');
        continue;
      }
      const m = this.messages.splice(i, 1)[0]!;
      if (m.type === 'token') tokens.push(m.text as string);
      else return { start, tokens, final: m };
    }
  }
}

export function connect(
  url: string,
  opts: { protocols?: string[]; headers?: Record<string, string> } = {},
): Client {
  return new Client(new WebSocket(url, opts.protocols ?? ['chat.v1'], { headers: opts.headers ?? {} }));
}

/** The handshake's HTTP answer when the server refuses the upgrade. */
export function refusedStatus(url: string, protocols: string[]): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('open', () => {
      ws.close();
      reject(new Error('the upgrade was accepted'));
    });
    ws.on('error', () => undefined);
  });
}

export interface LlmCall {
  body: { model: string; stream: boolean; messages: { role: string; content: string }[] };
  authorization: string | undefined;
  chunksSent: number;
  aborted: boolean;
  finished: boolean;
}

/**
 * A local OpenAI-compatible chat-completions server (the streaming protocol: SSE `data:` chunks
 * ending with `data: [DONE]`). `behaviour` decides the next answer.
 */
export async function startLlmServer() {
  const calls: LlmCall[] = [];
  const state: { mode: 'tokens' | 'slow' | 'fail'; tokens: string[] } = { mode: 'tokens', tokens: [] };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/chat/completions') {
        res.writeHead(404).end();
        return;
      }
      const call: LlmCall = {
        body: JSON.parse(raw) as LlmCall['body'],
        authorization: req.headers.authorization,
        chunksSent: 0,
        aborted: false,
        finished: false,
      };
      calls.push(call);
      if (state.mode === 'fail') {
        res.writeHead(500, { 'content-type': 'application/json' }).end('{"error":{"message":"overloaded"}}');
        return;
      }
      res.on('close', () => {
        if (!call.finished) call.aborted = true;
      });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(': keep-alive comment\n\n');
      const chunk = (content: string) =>
        `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content } }] })}\n\n`;
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant' } }] })}\n\n`);
      const tokens = state.mode === 'slow' ? Array.from({ length: 100 }, (_, i) => `w${i} `) : state.tokens;
      let i = 0;
      const tick = () => {
        if (res.destroyed) return;
        if (i < tokens.length) {
          res.write(chunk(tokens[i++]!));
          call.chunksSent++;
          setTimeout(tick, state.mode === 'slow' ? 50 : 1);
        } else {
          res.write(
            `data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })}\n\n`,
          );
          res.write('data: [DONE]\n\n');
          call.finished = true;
          res.end();
        }
      };
      tick();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}/v1`,
    calls,
    state,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
