/**
 * A client for any OpenAI-compatible chat-completions endpoint, streaming: POST
 * `<base>/chat/completions` with `stream: true`, read the server-sent events (`data: {json}` lines,
 * ended by `data: [DONE]`) and yield each `choices[0].delta.content`. Aborting the signal cancels
 * the upstream request at once, so a client that leaves costs nothing further.
 */

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant';
  readonly content: string;
}

export interface LlmOptions {
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model: string;
}

export class LlmError extends Error {
  constructor(
    message: string,
    /** True when nothing was streamed yet, so the caller may fall back. */
    readonly beforeFirstToken: boolean,
  ) {
    super(message);
    this.name = 'LlmError';
  }
}

export async function* streamCompletion(
  opts: LlmOptions,
  messages: readonly ChatMessage[],
  signal: AbortSignal,
): AsyncGenerator<string> {
  const url = `${opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...(opts.apiKey ? { authorization: `Bearer ${opts.apiKey}` } : {}),
      },
      body: JSON.stringify({ model: opts.model, stream: true, messages }),
      signal,
    });
  } catch (err) {
    if (signal.aborted) throw err;
    throw new LlmError(`LLM request failed: ${(err as Error).message}`, true);
  }
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    throw new LlmError(`LLM answered HTTP ${res.status}`, true);
  }
  const decoder = new TextDecoder();
  let buffer = '';
  let yielded = false;
  const reader = res.body.getReader();
  try {
    for (;;) {
      let chunk: Awaited<ReturnType<typeof reader.read>>;
      try {
        chunk = await reader.read();
      } catch (err) {
        if (signal.aborted) throw err;
        throw new LlmError(`LLM stream broke: ${(err as Error).message}`, !yielded);
      }
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r?\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(buffer[nl] === '\r' ? nl + 2 : nl + 1);
        if (!line.startsWith('data:')) continue; // comments, event names, blank separators
        const data = line.slice(5).trim();
        if (data === '[DONE]') return;
        let event: { choices?: { delta?: { content?: unknown } }[]; error?: { message?: string } };
        try {
          event = JSON.parse(data) as typeof event;
        } catch {
          throw new LlmError('LLM sent an event that is not JSON', !yielded);
        }
        if (event.error) throw new LlmError(`LLM error: ${event.error.message ?? 'unknown'}`, !yielded);
        const piece = event.choices?.[0]?.delta?.content;
        if (typeof piece === 'string' && piece) {
          yielded = true;
          yield piece;
        }
      }
    }
    throw new LlmError('LLM stream ended without [DONE]', !yielded);
  } finally {
    // Stops the download when the consumer stops early (abort, error, client gone).
    await reader.cancel().catch(() => undefined);
  }
}
