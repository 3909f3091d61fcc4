import { PermanentError } from '@hybrid/queue';
import type { CategoryInfo } from './guide';

export interface VisionInput {
  /** Category slug the user picked at upload, if any. */
  readonly label: string | null;
  /** The cleaned photo (no metadata); only fetched by providers that look at it. */
  readonly image: () => Promise<{ readonly bytes: Buffer; readonly type: string }>;
  readonly categories: readonly CategoryInfo[];
}

export interface Classification {
  readonly category: string | null;
  readonly material: string | null;
  readonly confidence: number | null;
  /** Short advice for the user, if the provider gives one. */
  readonly feedback: string | null;
}

export interface VisionProvider {
  readonly name: 'label' | 'openai';
  readonly model: string | null;
  classify(input: VisionInput): Promise<Classification>;
}

/** No model: the category the user picked, said plainly. */
export class LabelProvider implements VisionProvider {
  readonly name = 'label' as const;
  readonly model = null;

  async classify(input: VisionInput): Promise<Classification> {
    const known = input.categories.find((c) => c.slug === input.label);
    if (!input.label) {
      return {
        category: null,
        material: null,
        confidence: null,
        feedback:
          'No image recognition is configured and no category was picked, so this item was not classified. Pick a category and scan again.',
      };
    }
    if (!known) {
      return {
        category: null,
        material: null,
        confidence: null,
        feedback: `No image recognition is configured, and the category you picked ("${input.label}") is not one we know.`,
      };
    }
    return {
      category: known.slug,
      material: null,
      confidence: null,
      feedback: `No image recognition is configured: this follows the category you picked (${known.name}); the photo was not analysed.`,
    };
  }
}

export interface OpenAiOptions {
  /** Base URL ending before `/chat/completions`, e.g. https://api.openai.com/v1 */
  readonly baseUrl: string;
  readonly apiKey: string;
  readonly model: string;
  readonly timeoutMs: number;
}

interface ChatCompletion {
  choices?: { message?: { content?: string | null } }[];
}

/**
 * Any OpenAI-compatible chat-completions endpoint with image input (GPT-4o, or a self-hosted
 * model behind vLLM / Ollama / llama.cpp). The model answers with a JSON object naming one of the
 * info service's categories. Rate limits, server errors, timeouts and unusable answers are
 * retried (the queue's backoff); a refused request (bad key, unknown model) is not.
 */
export class OpenAiProvider implements VisionProvider {
  readonly name = 'openai' as const;
  readonly model: string;

  constructor(private readonly opts: OpenAiOptions) {
    if (!/^https?:\/\//.test(opts.baseUrl))
      throw new Error('VISION_BASE_URL must be an http(s) URL for the openai provider');
    this.model = opts.model;
  }

  async classify(input: VisionInput): Promise<Classification> {
    const { bytes, type } = await input.image();
    const catalogText = input.categories
      .map(
        (c) =>
          `- ${c.slug}: ${c.name}${c.materials.length ? ` (materials: ${c.materials.map((m) => m.slug).join(', ')})` : ''}`,
      )
      .join('\n');
    const body = {
      model: this.opts.model,
      temperature: 0,
      max_tokens: 300,
      response_format: { type: 'json_object' },
      messages: [
        {
          role: 'system',
          content:
            'You identify a single household waste item in a photo so the user can dispose of it correctly. ' +
            'Answer with a JSON object only: {"category": <slug from the list>, "material": <material slug from that category or null>, ' +
            '"confidence": <0..1>, "feedback": <one short sentence of advice>}. Categories:\n' +
            catalogText,
        },
        {
          role: 'user',
          content: [
            {
              type: 'text',
              text: input.label
                ? `The user thinks this is "${input.label}". What is it and how should it be sorted?`
                : 'What is this item and how should it be sorted?',
            },
            { type: 'image_url', image_url: { url: `data:${type};base64,${bytes.toString('base64')}` } },
          ],
        },
      ],
    };
    const url = `${this.opts.baseUrl.replace(/\/+$/, '')}/chat/completions`;
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.opts.apiKey ? { authorization: `Bearer ${this.opts.apiKey}` } : {}),
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(this.opts.timeoutMs),
      });
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError')
        throw new Error(`the vision provider did not answer within ${this.opts.timeoutMs} ms`);
      throw new Error(`the vision provider is unreachable: ${e.message}`);
    }
    let text: string;
    try {
      text = await res.text();
    } catch (err) {
      const e = err as Error;
      if (e.name === 'TimeoutError')
        throw new Error(`the vision provider did not answer within ${this.opts.timeoutMs} ms`);
      throw new Error(`the vision provider's answer broke off: ${e.message}`);
    }
    if (!res.ok) {
      const detail = errorMessage(text);
      const what = `the vision provider answered ${res.status}${detail ? `: ${detail}` : ''}`;
      if (res.status === 429 || res.status >= 500 || res.status === 408) throw new Error(what);
      throw new PermanentError(what);
    }
    return this.parse(text, input.categories);
  }

  private parse(text: string, categories: readonly CategoryInfo[]): Classification {
    let content: unknown;
    try {
      const completion = JSON.parse(text) as ChatCompletion;
      const raw = completion.choices?.[0]?.message?.content;
      if (typeof raw !== 'string') throw new Error('no message content');
      // Some models wrap JSON in a code fence despite response_format.
      content = JSON.parse(raw.replace(/^\s*```(?:json)?\s*|\s*```\s*$/g, ''));
    } catch (err) {
      throw new Error(`the vision provider's answer is not the expected JSON (${(err as Error).message})`);
    }
    const o = (typeof content === 'object' && content !== null ? content : {}) as Record<string, unknown>;
    const category = categories.find((c) => c.slug === o.category);
    if (!category)
      throw new Error(`the vision provider named an unknown category: ${JSON.stringify(o.category)}`);
    const material = category.materials.find((m) => m.slug === o.material) ?? null;
    const conf =
      typeof o.confidence === 'number' && o.confidence >= 0 && o.confidence <= 1 ? o.confidence : null;
    const feedback =
      typeof o.feedback === 'string' && o.feedback.trim() ? o.feedback.trim().slice(0, 300) : null;
    return { category: category.slug, material: material?.slug ?? null, confidence: conf, feedback };
  }
}

function errorMessage(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: { message?: unknown } | string };
    const m = typeof j.error === 'string' ? j.error : j.error?.message;
    return typeof m === 'string' ? m.slice(0, 200) : '';
  } catch {
    return '';
  }
}
