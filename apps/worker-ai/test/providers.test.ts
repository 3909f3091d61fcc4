import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join } from 'node:path';
import { PermanentError } from '@hybrid/queue';
import { createLogger, runMigrations } from '@hybrid/service-kit';
import { createTestDatabase, type TestDatabase } from '@hybrid/tools/test-env';
import pg from 'pg';
import { classifyScan, InfoDatabaseGuide, LabelProvider, OpenAiProvider } from '../src/app';

/** The info service's own migrations: worker-ai reads that database. */
const infoMigrationsDir = join(__dirname, '..', '..', 'info', 'migrations');
/** A small data set of the tests' own in place of the info seed (the scan pipeline tests use it too). */
const testInfoData = readFileSync(join(__dirname, 'fixtures', 'info-data.sql'), 'utf8');

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

/** A real HTTP server speaking the OpenAI chat-completions protocol, with scripted answers. */
async function startModelServer() {
  let handler: Handler = (_req, _body, res) => res.end();
  const requests: { headers: IncomingMessage['headers']; url: string; body: Record<string, unknown> }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      requests.push({
        headers: req.headers,
        url: req.url ?? '',
        body: JSON.parse(body) as Record<string, unknown>,
      });
      handler(req, body, res);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`,
    requests,
    set: (h: Handler) => (handler = h),
    close: () => new Promise<void>((r) => (server.closeAllConnections(), server.close(() => r()))),
  };
}

const completion = (content: string) =>
  JSON.stringify({
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'test-vision',
    choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content } }],
  });

describe('vision providers', () => {
  let db: TestDatabase;
  let pool: pg.Pool;
  let guide: InfoDatabaseGuide;
  let model: Awaited<ReturnType<typeof startModelServer>>;
  const photo = async () => ({ bytes: Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), type: 'image/jpeg' });

  beforeAll(async () => {
    db = await createTestDatabase('vision');
    pool = new pg.Pool({ connectionString: db.url, max: 2 });
    await runMigrations(db.url, infoMigrationsDir, createLogger('test', 'silent'));
    await pool.query(testInfoData);
    guide = new InfoDatabaseGuide(pool);
    model = await startModelServer();
  });
  afterAll(async () => {
    await model?.close();
    await pool?.end();
    await db?.drop();
  });

  const openai = (timeoutMs = 2000) =>
    new OpenAiProvider({ baseUrl: model.url, apiKey: 'sk-test', model: 'test-vision', timeoutMs });

  it('classifies through an OpenAI-compatible endpoint and attaches the disposal steps', async () => {
    model.set((_req, _body, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(
        completion(
          JSON.stringify({
            category: 'plastic',
            material: 'pet-bottle',
            confidence: 0.92,
            feedback: 'Rinse it first.',
          }),
        ),
      );
    });
    const result = await classifyScan(openai(), guide, 'glass', photo);
    expect(result).toEqual({
      provider: 'openai',
      model: 'test-vision',
      category: { slug: 'plastic', name: 'Plastic' },
      material: { slug: 'pet-bottle', name: 'PET bottle' },
      confidence: 0.92,
      steps: [
        { position: 1, text: 'Empty and rinse it.', textKo: '내용물을 비우고 헹구세요.' },
        { position: 2, text: 'Remove the label.', textKo: '라벨을 제거하세요.' },
        { position: 3, text: 'Put it in the plastic bin.', textKo: '플라스틱 수거함에 넣으세요.' },
      ],
      feedback: 'Rinse it first.',
    });
    const req = model.requests.at(-1)!;
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBe('Bearer sk-test');
    expect(req.body).toMatchObject({ model: 'test-vision', response_format: { type: 'json_object' } });
    const messages = req.body.messages as { role: string; content: unknown }[];
    expect(messages[0]!.content).toEqual(
      expect.stringContaining('- plastic: Plastic (materials: pet-bottle)'),
    );
    const parts = messages[1]!.content as { type: string; image_url?: { url: string } }[];
    expect(parts[1]!.image_url!.url).toBe(
      `data:image/jpeg;base64,${Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]).toString('base64')}`,
    );
  });

  it('accepts a fenced JSON answer and drops a material outside the category', async () => {
    model.set((_req, _body, res) =>
      res.end(completion('```json\n{"category":"glass","material":"pet-bottle","confidence":7}\n```')),
    );
    const result = await classifyScan(openai(), guide, null, photo);
    expect(result).toMatchObject({ category: { slug: 'glass' }, material: null, confidence: null });
    expect(result.feedback).toBe('Glass. Glass bottles go to glass recycling.');
  });

  it('retries rate limits and server errors, and gives up at once on a refused request', async () => {
    model.set((_req, _body, res) => {
      res.statusCode = 503;
      res.end(JSON.stringify({ error: { message: 'model is loading' } }));
    });
    const e503 = await openai()
      .classify({ label: null, image: photo, categories: await guide.categories() })
      .catch((e: Error) => e);
    expect(e503).toBeInstanceOf(Error);
    expect(e503).not.toBeInstanceOf(PermanentError);
    expect((e503 as Error).message).toBe('the vision provider answered 503: model is loading');

    model.set((_req, _body, res) => {
      res.statusCode = 429;
      res.end('{}');
    });
    const e429 = await openai()
      .classify({ label: null, image: photo, categories: [] })
      .catch((e: Error) => e);
    expect(e429).not.toBeInstanceOf(PermanentError);

    model.set((_req, _body, res) => {
      res.statusCode = 401;
      res.end(JSON.stringify({ error: { message: 'Incorrect API key provided' } }));
    });
    const e401 = await openai()
      .classify({ label: null, image: photo, categories: [] })
      .catch((e: Error) => e);
    expect(e401).toBeInstanceOf(PermanentError);
    expect((e401 as Error).message).toBe('the vision provider answered 401: Incorrect API key provided');
  });

  it('times out a model that does not answer, and rejects answers it cannot use', async () => {
    model.set((_req, _body, res) => {
      const t = setTimeout(() => res.end(completion('{"category":"glass"}')), 3000);
      res.on('close', () => clearTimeout(t));
    });
    const slow = await openai(200)
      .classify({ label: null, image: photo, categories: await guide.categories() })
      .catch((e: Error) => e);
    expect(slow).not.toBeInstanceOf(PermanentError);
    expect((slow as Error).message).toBe('the vision provider did not answer within 200 ms');

    model.set((_req, _body, res) => res.end(completion('I think it is a bottle.')));
    await expect(
      openai().classify({ label: null, image: photo, categories: await guide.categories() }),
    ).rejects.toThrow(/not the expected JSON/);
    model.set((_req, _body, res) => res.end(completion('{"category":"spaceship"}')));
    await expect(
      openai().classify({ label: null, image: photo, categories: await guide.categories() }),
    ).rejects.toThrow('the vision provider named an unknown category: "spaceship"');
    const down = new OpenAiProvider({
      baseUrl: 'http://127.0.0.1:9',
      apiKey: '',
      model: 'm',
      timeoutMs: 1000,
    });
    await expect(down.classify({ label: null, image: photo, categories: [] })).rejects.toThrow(
      /the vision provider is unreachable/,
    );
  });

  it('label provider: uses the picked category and says no model looked at the photo', async () => {
    let fetched = false;
    const image = async () => ((fetched = true), photo());
    const picked = await classifyScan(new LabelProvider(), guide, 'battery', image);
    expect(picked).toEqual({
      provider: 'label',
      model: null,
      category: { slug: 'battery', name: 'Batteries' },
      material: null,
      confidence: null,
      steps: [{ position: 1, text: 'Tape the terminals.', textKo: '단자에 테이프를 붙이세요.' }],
      feedback:
        'No image recognition is configured: this follows the category you picked (Batteries); the photo was not analysed.',
    });
    expect(fetched).toBe(false);
    const none = await classifyScan(new LabelProvider(), guide, null, image);
    expect(none).toMatchObject({ category: null, steps: [] });
    expect(none.feedback).toMatch(/no category was picked/);
    const unknown = await classifyScan(new LabelProvider(), guide, 'moon-rock', image);
    expect(unknown.feedback).toMatch(/"moon-rock"\) is not one we know/);
  });
});
