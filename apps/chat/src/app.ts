import websocket from '@fastify/websocket';
import { catalog } from '@hybrid/catalog';
import { attachConsumers, consumeAccountDeletions, type Topology } from '@hybrid/queue/core';
import {
  ErrorResponse,
  HttpError,
  type AuthUser,
  type ServiceContext,
  type ServiceDefinition,
} from '@hybrid/service-kit';
import { Type } from '@hybrid/service-kit/schema';
import type { FastifyRequest } from 'fastify';
import type { WebSocket } from 'ws';
import { ChatStore } from './history';
import { LlmError, streamCompletion, type ChatMessage, type LlmOptions } from './llm';
import {
  composeAnswer,
  detectLang,
  groundingText,
  retrieve,
  type Guidance,
  type Lang,
  type Source,
} from './retrieval';

/** The WebSocket subprotocol; the server always selects it. */
export const CHAT_PROTOCOL = 'chat.v1';
/** A second offered subprotocol `bearer.<access token>` carries the token (browsers cannot set headers). */
export const BEARER_PROTOCOL_PREFIX = 'bearer.';

/** Close codes sent by the server. */
export const CLOSE = { authFailed: 4401, tryLater: 1013 } as const;

export const PROTOCOL_DOC = `WebSocket at GET /api/v1/chat/ws, subprotocol "${CHAT_PROTOCOL}". Authenticate with EITHER
the handshake (offer the subprotocols "${CHAT_PROTOCOL}" and "${BEARER_PROTOCOL_PREFIX}<access token>", or send
"Authorization: Bearer <token>"; a bad token is refused with HTTP 401 before the upgrade) OR a first message
{"type":"auth","token":"<access token>"} within CHAT_AUTH_TIMEOUT_MS. Tokens in the URL are refused (400): URLs end up in logs.
Client messages (JSON text frames): {"type":"ask","id"?:string,"text":string,"lang"?:"en"|"ko"}, {"type":"cancel"}, {"type":"ping"}.
Server messages: {"type":"ready","userId"}, {"type":"start","id","sources"}, {"type":"token","id","text"} (streamed),
{"type":"done","id","text","sources","mode":"retrieval"|"llm"}, {"type":"cancelled","id"},
{"type":"error","id"?,"code","message","retryAfterSec"?}, {"type":"pong"}. Error codes: bad_message, not_authenticated,
empty_message, message_too_long, busy, rate_limited, unavailable, llm_failed. Close 4401: authentication failed, token expired or token revoked.`;

type ServerMessage =
  | { type: 'ready'; userId: string }
  | { type: 'start'; id: string; sources: readonly Source[] }
  | { type: 'token'; id: string; text: string }
  | { type: 'done'; id: string; text: string; sources: readonly Source[]; mode: 'retrieval' | 'llm' }
  | { type: 'cancelled'; id: string }
  | { type: 'error'; id?: string; code: string; message: string; retryAfterSec?: number }
  | { type: 'pong' };

type ClientMessage =
  | { type: 'auth'; token: string }
  | { type: 'ask'; id: string; text: string; lang?: Lang }
  | { type: 'cancel' }
  | { type: 'ping' };

/** Validates one inbound frame; returns the message or what is wrong with it. */
export function parseClientMessage(raw: string, counter: number): ClientMessage | { error: string } {
  let m: unknown;
  try {
    m = JSON.parse(raw);
  } catch {
    return { error: 'messages must be JSON objects' };
  }
  if (typeof m !== 'object' || m === null || Array.isArray(m))
    return { error: 'messages must be JSON objects' };
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case 'auth':
      if (typeof o.token !== 'string' || !o.token || o.token.length > 8192)
        return { error: 'auth needs a token string' };
      return { type: 'auth', token: o.token };
    case 'ask': {
      if (typeof o.text !== 'string') return { error: 'ask needs a text string' };
      if (o.id !== undefined && (typeof o.id !== 'string' || !/^[\w.:-]{1,64}$/.test(o.id)))
        return { error: 'id must be 1-64 letters, digits or _.:-' };
      if (o.lang !== undefined && o.lang !== 'en' && o.lang !== 'ko')
        return { error: 'lang must be "en" or "ko"' };
      return {
        type: 'ask',
        id: (o.id as string | undefined) ?? `q${counter}`,
        text: o.text,
        ...(o.lang ? { lang: o.lang as Lang } : {}),
      };
    }
    case 'cancel':
      return { type: 'cancel' };
    case 'ping':
      return { type: 'ping' };
    default:
      return { error: 'type must be one of auth, ask, cancel, ping' };
  }
}

function tokenFromHandshake(req: FastifyRequest): string | undefined {
  const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
    .split(',')
    .map((p) => p.trim());
  const offered = protocols.find((p) => p.startsWith(BEARER_PROTOCOL_PREFIX));
  if (offered) return offered.slice(BEARER_PROTOCOL_PREFIX.length);
  const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
  return m?.[1];
}

const SYSTEM_PROMPT = (lang: Lang, guidance: Guidance) =>
  [
    'You are Waste Coach, a helper for sorting and disposing of household waste in Korea.',
    `Answer in ${lang === 'ko' ? 'Korean' : 'English'}.`,
    "Use only the guidance below. If it does not answer the question, say you don't know and suggest naming the item.",
    'Keep the answer short, list the steps, and cite the ids in square brackets, like [general].',
    '',
    'Guidance:',
    groundingText(guidance),
  ].join('\n');

interface Settings {
  maxChars: number;
  authTimeoutMs: number;
  llm: LlmOptions | undefined;
  llmTimeoutMs: number;
}

/** One WebSocket connection: authentication, then questions answered one at a time. */
class ChatSession {
  private user: AuthUser | null;
  /** The question being answered. */
  private current: { id: string; abort: AbortController } | undefined;
  private counter = 0;
  private closed = false;
  private authPending: Promise<void> | undefined;
  private timers: NodeJS.Timeout[] = [];
  private readonly cleanups: (() => void)[] = [];

  constructor(
    private readonly socket: WebSocket,
    private readonly ctx: ServiceContext,
    private readonly store: ChatStore,
    private readonly settings: Settings,
    user: AuthUser | null,
  ) {
    this.user = null;
    socket.on('message', (data, isBinary) => void this.onMessage(data.toString(), isBinary));
    socket.on('close', () => this.onClose());
    socket.on('error', () => this.onClose());
    if (user) this.authenticated(user);
    else {
      const t = setTimeout(() => {
        if (!this.user) this.socket.close(CLOSE.authFailed, 'authentication required');
      }, settings.authTimeoutMs);
      this.timers.push(t);
    }
  }

  private send(m: ServerMessage) {
    if (!this.closed && this.socket.readyState === this.socket.OPEN) this.socket.send(JSON.stringify(m));
  }

  private authenticated(user: AuthUser) {
    this.user = user;
    // The connection ends when its token does: a long-lived socket never outlives its credential.
    const exp = typeof user.claims.exp === 'number' ? user.claims.exp * 1000 - Date.now() : undefined;
    if (exp !== undefined) {
      const t = setTimeout(
        () => this.socket.close(CLOSE.authFailed, 'token expired'),
        Math.min(Math.max(0, exp), 2 ** 31 - 1),
      );
      t.unref();
      this.timers.push(t);
    }
    // ... and as soon as its token is revoked (logout, account deletion, refresh-token theft).
    const off = this.ctx.auth!.onRevoked((jti) => {
      if (jti === user.jti) this.socket.close(CLOSE.authFailed, 'token revoked');
    });
    this.cleanups.push(off);
    this.send({ type: 'ready', userId: user.id });
  }

  private async authenticate(token: string) {
    try {
      const user = await this.ctx.auth!.verify(token);
      if (!this.closed) this.authenticated(user);
    } catch (err) {
      const status = err instanceof HttpError ? err.statusCode : 500;
      if (status === 401)
        this.socket.close(CLOSE.authFailed, err instanceof HttpError ? err.detail : 'invalid token');
      else this.socket.close(CLOSE.tryLater, 'authentication is unavailable');
    }
  }

  private onClose() {
    if (this.closed) return;
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    for (const off of this.cleanups) off();
    this.current?.abort.abort();
  }

  private async onMessage(raw: string, isBinary: boolean) {
    if (isBinary) return this.send({ type: 'error', code: 'bad_message', message: 'send JSON text frames' });
    const msg = parseClientMessage(raw, ++this.counter);
    if ('error' in msg) return this.send({ type: 'error', code: 'bad_message', message: msg.error });
    if (msg.type === 'ping') return this.send({ type: 'pong' });
    // Messages sent right behind the auth message wait for its verdict, in order.
    if (!this.user && this.authPending) await this.authPending;
    if (this.closed || this.socket.readyState !== this.socket.OPEN) return;
    if (!this.user) {
      if (msg.type !== 'auth') {
        this.send({
          type: 'error',
          code: 'not_authenticated',
          message: 'send {"type":"auth","token":...} first',
        });
        this.socket.close(CLOSE.authFailed, 'authentication required');
        return;
      }
      this.authPending = this.authenticate(msg.token);
      return this.authPending;
    }
    if (msg.type === 'auth')
      return this.send({ type: 'error', code: 'bad_message', message: 'already authenticated' });
    if (msg.type === 'cancel') {
      if (this.current) {
        const { id, abort } = this.current;
        this.current = undefined;
        abort.abort();
        this.send({ type: 'cancelled', id });
      }
      return;
    }
    const text = msg.text.trim();
    if (!text)
      return this.send({
        type: 'error',
        id: msg.id,
        code: 'empty_message',
        message: 'the question is empty',
      });
    if ([...text].length > this.settings.maxChars) {
      return this.send({
        type: 'error',
        id: msg.id,
        code: 'message_too_long',
        message: `questions are limited to ${this.settings.maxChars} characters`,
      });
    }
    if (this.current) {
      return this.send({
        type: 'error',
        id: msg.id,
        code: 'busy',
        message: 'wait for the answer, or cancel it',
      });
    }
    const abort = new AbortController();
    this.current = { id: msg.id, abort };
    try {
      await this.answer(this.user, msg.id, text, msg.lang ?? detectLang(text), abort.signal);
    } catch (err) {
      if (!abort.signal.aborted) {
        this.ctx.log.error({ err }, 'chat answer failed');
        this.send({
          type: 'error',
          id: msg.id,
          code: 'unavailable',
          message: 'the answer could not be produced, try again',
        });
      }
    } finally {
      if (this.current?.abort === abort) this.current = undefined;
    }
  }

  private async answer(user: AuthUser, id: string, question: string, lang: Lang, signal: AbortSignal) {
    const wait = await this.store.takeRateToken(user.id);
    if (wait > 0) {
      return this.send({
        type: 'error',
        id,
        code: 'rate_limited',
        message: `too many questions; try again in ${wait} s`,
        retryAfterSec: wait,
      });
    }
    const guidance = await retrieve(this.ctx.pg!, question, lang);
    if (signal.aborted) return;
    this.send({ type: 'start', id, sources: guidance.sources });
    let text: string | undefined;
    let mode: 'retrieval' | 'llm' = 'retrieval';
    if (this.settings.llm) {
      const history = await this.store.history(user.id);
      const messages: ChatMessage[] = [
        { role: 'system', content: SYSTEM_PROMPT(lang, guidance) },
        ...history.map((h) => ({ role: h.role, content: h.content })),
        { role: 'user', content: question },
      ];
      const upstream = AbortSignal.any([signal, AbortSignal.timeout(this.settings.llmTimeoutMs)]);
      let acc = '';
      try {
        for await (const piece of streamCompletion(this.settings.llm, messages, upstream)) {
          if (signal.aborted) return;
          acc += piece;
          this.send({ type: 'token', id, text: piece });
        }
        text = acc;
        mode = 'llm';
      } catch (err) {
        if (signal.aborted) return; // the client left or cancelled: nothing more to do or pay for
        const before = err instanceof LlmError ? err.beforeFirstToken : !acc;
        this.ctx.log.warn({ err: (err as Error).message }, 'LLM answer failed');
        if (!before) {
          return this.send({
            type: 'error',
            id,
            code: 'llm_failed',
            message: 'the answer was interrupted, ask again',
          });
        }
        // Nothing was streamed yet: answer from the guidance alone.
      }
    }
    if (text === undefined) {
      text = composeAnswer(guidance);
      for (const line of text.split('\n')) this.send({ type: 'token', id, text: `${line}\n` });
      text = text.trimEnd();
    }
    if (signal.aborted) return;
    // History first, so that once "done" arrives the next question sees it (and is not "busy").
    await this.store.append(user.id, question, text);
    this.send({ type: 'done', id, text, sources: guidance.sources, mode });
  }
}

const History = Type.Object({
  messages: Type.Array(
    Type.Object({
      role: Type.Union([Type.Literal('user'), Type.Literal('assistant')]),
      content: Type.String(),
      at: Type.String({ format: 'date-time' }),
    }),
  ),
});

export interface ChatServiceOptions {
  /** Exchanges and queues (the account events). @default the platform catalog's */
  readonly topology?: Topology;
}

const storeOf = (ctx: ServiceContext) => {
  const cfg = ctx.config;
  if (!ctx.redis || !ctx.pg || !ctx.auth) throw new HttpError(503, 'chat is not configured');
  return new ChatStore(ctx.redis, {
    ttlSec: cfg.number('CHAT_HISTORY_TTL_SEC'),
    maxMessages: cfg.number('CHAT_HISTORY_MAX_MESSAGES'),
    ratePerMin: cfg.number('CHAT_RATE_LIMIT_PER_MIN'),
  });
};

/** The chat service: a WebSocket chatbot over the info service's guidance, optionally through an LLM. */
export const createChatService = (opts: ChatServiceOptions = {}): ServiceDefinition => ({
  workload: 'chat',
  // A deleted account's history and rate-limit window go (and an answer in progress keeps nothing).
  start: async (ctx) => {
    const store = storeOf(ctx);
    await consumeAccountDeletions(ctx, opts.topology ?? catalog, {
      queue: 'q.account.chat',
      what: 'chat history',
      forget: async (e) => {
        await store.forget(e.userId);
      },
    });
  },
  routes: async (app, ctx) => {
    attachConsumers(app, ctx);
    const cfg = ctx.config;
    const maxChars = cfg.number('CHAT_MAX_MESSAGE_CHARS');
    const baseUrl = cfg.string('LLM_BASE_URL').trim();
    if (baseUrl && !/^https?:\/\/[^\s/]+/.test(baseUrl))
      throw new Error('LLM_BASE_URL must be an http(s) URL');
    const settings: Settings = {
      maxChars,
      authTimeoutMs: cfg.number('CHAT_AUTH_TIMEOUT_MS'),
      llmTimeoutMs: cfg.number('LLM_TIMEOUT_MS'),
      llm: baseUrl
        ? { baseUrl, apiKey: cfg.string('LLM_API_KEY'), model: cfg.string('LLM_MODEL') }
        : undefined,
    };
    const requireStore = () => storeOf(ctx);

    await app.register(websocket, {
      options: {
        // A frame larger than any acceptable question closes the connection (1009) before parsing.
        maxPayload: maxChars * 6 + 1024,
        // Select our protocol; never echo the bearer subprotocol (it is a credential).
        handleProtocols: (protocols) => (protocols.has(CHAT_PROTOCOL) ? CHAT_PROTOCOL : false),
      },
    });

    app.get(
      '/ws',
      {
        websocket: true,
        schema: {
          summary: 'Chat over WebSocket',
          description: PROTOCOL_DOC,
          response: { 401: ErrorResponse },
        },
        preValidation: async (req) => {
          const q = req.query as Record<string, unknown> | undefined;
          if (q && ('token' in q || 'access_token' in q)) {
            throw new HttpError(
              400,
              'tokens in the URL are not accepted: use the bearer subprotocol or an auth message',
            );
          }
          requireStore();
          const token = tokenFromHandshake(req);
          if (token) req.user = await ctx.auth!.verify(token);
        },
      },
      (socket, req) => {
        new ChatSession(socket, ctx, requireStore(), settings, req.user);
      },
    );

    app.get(
      '/history',
      {
        config: { auth: 'required' },
        schema: {
          summary: "The caller's recent conversation",
          response: { 200: History, 503: ErrorResponse },
        },
      },
      async (req) => ({ messages: await requireStore().history(req.user!.id) }),
    );
    app.delete(
      '/history',
      {
        config: { auth: 'required' },
        schema: {
          summary: "Forget the caller's conversation",
          response: { 204: Type.Null(), 503: ErrorResponse },
        },
      },
      async (req, reply) => {
        await requireStore().clear(req.user!.id);
        return reply.code(204).send(null);
      },
    );
  },
});

export const chatService = createChatService();
