/**
 * End to end in headless Debian chromium: two players in two browser contexts play a real game
 * against the real game server through the built site. Screenshots of each phase are saved under
 * test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page, WebSocketRoute } from 'playwright-core';
import { ARTIFACTS, launchBrowser, startStack, type Stack } from './helpers';

jest.setTimeout(120_000);

const SHOTS = join(ARTIFACTS, 'screenshots');
const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  // Short pauses between turns keep the suite quick; draw and choose times are the defaults.
  // A small burst for drawing events, so that undoing one long gesture meets the rate limit.
  stack = await startStack(join(ARTIFACTS, 'site'), {
    TURN_END_SEC: '4',
    GAME_END_SEC: '30',
    STROKE_BURST: '40',
  });
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

/** Each page's WebSocket goes through a route the test can cut, like a dropped network. */
interface Link {
  cut: boolean;
  readonly open: Set<WebSocketRoute>;
}
const links = new Map<Page, Link>();

async function newPage(viewport = { width: 1280, height: 800 }, locale = 'en-US'): Promise<Page> {
  const ctx = await browser.newContext({ viewport, locale });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') console.error(`page ${m.type()}:`, m.text());
  });
  const link: Link = { cut: false, open: new Set() };
  links.set(page, link);
  await page.routeWebSocket(/\/socket\.io\//, (ws) => {
    if (link.cut) {
      void ws.close({ code: 4000, reason: 'network cut by the test' });
      return;
    }
    ws.connectToServer();
    link.open.add(ws);
  });
  return page;
}

async function cutNetwork(page: Page): Promise<void> {
  const link = links.get(page)!;
  link.cut = true;
  for (const ws of link.open) await ws.close({ code: 4000, reason: 'network cut by the test' });
  link.open.clear();
}
const restoreNetwork = (page: Page) => void (links.get(page)!.cut = false);

/** Color of the board's pixel at normalized (x, y). */
const pixel = (page: Page, x: number, y: number) =>
  page.$eval(
    '#board',
    (el, [nx, ny]) => {
      const c = el as HTMLCanvasElement;
      const d = c
        .getContext('2d')!
        .getImageData(Math.floor(nx! * c.width), Math.floor(ny! * c.height), 1, 1).data;
      return [d[0], d[1], d[2]];
    },
    [x, y],
  );

/** Draws a horizontal line across the drawer's board with real pointer input. */
async function drawLine(page: Page, from: number, to: number, y: number): Promise<void> {
  const box = (await page.locator('#board').boundingBox())!;
  await page.mouse.move(box.x + box.width * from, box.y + box.height * y);
  await page.mouse.down();
  for (let i = 1; i <= 20; i++)
    await page.mouse.move(box.x + box.width * (from + ((to - from) * i) / 20), box.y + box.height * y);
  await page.mouse.up();
}

const scoreOf = (page: Page, nickname: string) =>
  page.locator('#players li', { hasText: nickname }).locator('.score').textContent().then(Number);

/** The page whose player must choose a word (the drawer), and the others. */
async function drawerOf(pages: Page[]): Promise<[Page, Page[]]> {
  const i = await Promise.race(
    pages.map((p, n) => p.waitForSelector('#word-choices button', { timeout: 25_000 }).then(() => n)),
  ).catch(async (err: unknown) => {
    for (const [n, p] of pages.entries()) await shot(p, `failed-choice-${n}`);
    throw err;
  });
  return [pages[i]!, pages.filter((_, n) => n !== i)];
}

async function playTurn(
  drawer: Page,
  guessers: Page[],
  shotPrefix: string,
  wrongGuess: boolean,
  whileDrawing?: () => Promise<void>,
) {
  await shot(drawer, `${shotPrefix}-1-word-choice`);
  const word = (await drawer.locator('#word-choices button').first().textContent())!.trim();
  await drawer.locator('#word-choices button').first().click();
  await drawer.locator('#my-word', { hasText: word }).waitFor();
  for (const g of guessers) {
    await g.locator('#hint').waitFor();
    // The guessers' hint hides the word.
    expect(await g.locator('#hint').textContent()).not.toContain(word);
  }

  await drawLine(drawer, 0.2, 0.8, 0.5);
  // The stroke appears on the guessers' canvases: the pen's dark color where white was.
  for (const g of guessers) {
    await g.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>('#board')!;
      const d = c
        .getContext('2d')!
        .getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;
      return d[0]! < 100 && d[1]! < 100 && d[2]! < 100;
    });
    expect(await pixel(g, 0.5, 0.5)).toEqual([31, 41, 55]);
    expect(await pixel(g, 0.5, 0.1)).toEqual([255, 255, 255]);
  }
  await shot(drawer, `${shotPrefix}-2-drawer-drawing`);
  await shot(guessers[0]!, `${shotPrefix}-3-guesser-sees-stroke`);

  await whileDrawing?.();
  if (wrongGuess) {
    await guessers[0]!.fill('#chat-input', 'definitely wrong');
    await guessers[0]!.press('#chat-input', 'Enter');
    for (const p of [drawer, ...guessers])
      await p.locator('#chat-log .msg', { hasText: 'definitely wrong' }).waitFor();
    // One letter off: told "close" privately, nobody else sees it.
    const near = word.slice(0, -1);
    await guessers[0]!.fill('#chat-input', near);
    await guessers[0]!.press('#chat-input', 'Enter');
    await guessers[0]!.locator('#chat-log .msg.close', { hasText: `${near} is close!` }).waitFor();
    expect(await drawer.locator('#chat-log .msg.close').count()).toBe(0);
  }
  const drawerSaw = await drawer.locator('#chat-log .msg.correct', { hasText: 'guessed the word' }).count();
  for (const [n, g] of guessers.entries()) {
    const mine = g.locator('#chat-log .msg.correct', { hasText: 'You guessed it!' });
    const before = await mine.count();
    await g.fill('#chat-input', ` ${word.toUpperCase()} `);
    await g.press('#chat-input', 'Enter');
    await mine.nth(before).waitFor();
    if (n === 0) await shot(g, `${shotPrefix}-4-guessed`);
  }
  await drawer
    .locator('#chat-log .msg.correct', { hasText: 'guessed the word' })
    .nth(drawerSaw + guessers.length - 1)
    .waitFor();
  // The correct guess itself is never shown in the chat.
  expect(await drawer.locator('#chat-log').textContent()).not.toContain(word.toUpperCase());
  // Everyone guessed: the turn ends with the word revealed to all.
  for (const p of [drawer, ...guessers]) await p.locator('#revealed-word', { hasText: word }).waitFor();
  await shot(guessers[0]!, `${shotPrefix}-5-reveal`);
  return word;
}

test('three players create, join, draw, guess, reconnect and finish a game', async () => {
  const alice = await newPage();
  await alice.goto(stack.site.url);
  await shot(alice, '0-lobby');
  await alice.fill('#nickname', 'Alice');
  await alice.locator('#create-form summary').click();
  await alice.fill('#set-rounds', '1');
  await alice.fill('#set-time', '60');
  await alice.fill('#set-choices', '2');
  await alice.fill('#set-words', 'giraffe, rocket, castle');
  await alice.check('#set-words-only');
  await shot(alice, '0-lobby-settings');
  await alice.click('#create-btn');
  await alice.locator('#lobby-panel').waitFor();
  const code = new URL(alice.url()).searchParams.get('room')!;
  expect(code).toMatch(/^[A-Z0-9]{4,12}$/);
  await expect(alice.locator('#start-btn').isDisabled()).resolves.toBe(true);

  // Bob follows the share link; Carol types the code.
  const bob = await newPage();
  await bob.goto(`${stack.site.url}/?room=${code}`);
  expect(await bob.inputValue('#room-code')).toBe(code);
  await bob.fill('#nickname', 'Bob');
  await bob.click('#join-btn');
  const carol = await newPage();
  await carol.goto(stack.site.url);
  await carol.fill('#nickname', 'Carol');
  await carol.fill('#room-code', code.toLowerCase());
  await carol.press('#room-code', 'Enter');
  for (const p of [alice, bob, carol])
    await expect(p.locator('#players li').count()).resolves.toBeLessThanOrEqual(3);
  await alice.locator('#players li', { hasText: 'Carol' }).waitFor();
  await bob.locator('#players li', { hasText: 'Alice' }).waitFor();
  await bob.locator('#lobby-panel', { hasText: 'Waiting for the host' }).waitFor();
  await shot(alice, '1-room-lobby');

  await alice.locator('#start-btn:not([disabled])').click();
  const everyone = [alice, bob, carol];
  const names = new Map([
    [alice, 'Alice'],
    [bob, 'Bob'],
    [carol, 'Carol'],
  ]);
  const [drawer1, guessers1] = await drawerOf(everyone);
  const word1 = await playTurn(drawer1, guessers1, '2-turn1', true, async () => {
    const [drawer, guessers] = [drawer1, guessers1];
    // The network drops for a guesser: a banner says so, the others see them offline; when it
    // comes back the seat is taken back with its score.
    const dropped = guessers[1]!;
    const droppedName = names.get(dropped)!;
    const before = await scoreOf(drawer, droppedName);
    await cutNetwork(dropped);
    await dropped.locator('#banner:not([hidden])', { hasText: 'reconnecting' }).waitFor();
    await drawer
      .locator('#players li', { hasText: droppedName })
      .locator('.tag', { hasText: 'offline' })
      .waitFor();
    await shot(dropped, '2-turn1-6-reconnecting');
    restoreNetwork(dropped);
    await dropped.locator('#banner').waitFor({ state: 'hidden', timeout: 15_000 });
    await drawer
      .locator('#players li', { hasText: droppedName })
      .locator('.tag', { hasText: 'offline' })
      .waitFor({ state: 'detached' });
    expect(await scoreOf(dropped, droppedName)).toBe(before);
  });
  expect(['giraffe', 'rocket', 'castle']).toContain(word1);

  // Scores updated on every screen, the same figures.
  const scores = new Map<string, number>();
  for (const name of names.values()) scores.set(name, await scoreOf(drawer1, name));
  for (const g of guessers1) expect(scores.get(names.get(g)!)).toBeGreaterThan(0);
  expect(scores.get(names.get(drawer1)!)).toBeGreaterThan(0);
  for (const p of guessers1) for (const [name, score] of scores) expect(await scoreOf(p, name)).toBe(score);

  // Reconnect: a guesser reloads the tab; the seat and score come back, no duplicate player.
  const reloaded = guessers1[0]!;
  const myName = names.get(reloaded)!;
  await reloaded.reload();
  await reloaded.locator('#players li', { hasText: myName }).locator('.tag', { hasText: 'you' }).waitFor();
  expect(await scoreOf(reloaded, myName)).toBe(scores.get(myName));
  expect(await reloaded.locator('#players li').count()).toBe(3);
  expect(await drawer1.locator('#players li').count()).toBe(3);
  await shot(reloaded, '2-turn1-7-after-reload');

  // The two remaining turns of the round; then the podium.
  const [drawer2, guessers2] = await drawerOf(everyone);
  expect(drawer2).not.toBe(drawer1);
  await playTurn(drawer2, guessers2, '3-turn2', false);
  const [drawer3, guessers3] = await drawerOf(everyone);
  expect([drawer1, drawer2]).not.toContain(drawer3);
  await playTurn(drawer3, guessers3, '4-turn3', false);
  for (const p of everyone) await p.locator('#podium').waitFor({ timeout: 30_000 });
  const ranking = await alice.locator('#podium li').allTextContents();
  expect(ranking).toHaveLength(3);
  await shot(alice, '5-podium');

  // Alice and Bob vote Carol out: Carol is told why, back in the lobby.
  for (const p of [alice, bob]) await p.click('#players li:has-text("Carol") button.kick');
  await carol.locator('.toast', { hasText: 'The other players voted you out of the room.' }).waitFor();
  await carol.locator('#create-btn').waitFor();
  await alice.locator('#players li', { hasText: 'Carol' }).waitFor({ state: 'detached' });
});

test('a late joiner sees the current picture; the phone layout and Korean text render', async () => {
  const host = await newPage({ width: 1280, height: 800 });
  await host.goto(stack.site.url);
  await host.fill('#nickname', 'Host');
  await host.click('#create-btn');
  await host.locator('#lobby-panel').waitFor();
  const code = new URL(host.url()).searchParams.get('room')!;
  const second = await newPage({ width: 390, height: 844 }, 'ko-KR');
  await second.goto(`${stack.site.url}/?room=${code}`);
  // The room is public and waiting: it is listed in the lobby.
  await second.locator('#public-rooms li', { hasText: code }).waitFor();
  // Korean interface from the browser's language.
  await second.locator('#create-btn', { hasText: '방 만들기' }).waitFor();
  await shot(second, '6-phone-lobby-ko');
  await second.fill('#nickname', '민지');
  await second.click('#join-btn');
  await host.locator('#start-btn:not([disabled])').click();
  const [drawer, [other]] = await drawerOf([host, second]);
  await drawer.locator('#word-choices button').first().click();
  await drawer.locator('#my-word').waitFor();
  await drawLine(drawer, 0.001, 0.999, 0.3); // wall to wall, so a fill below stops at it

  // Fill, undo and clear reach the other player.
  await drawer.click('button[data-tool="fill"]');
  await drawer.click('button[aria-label="Color #ef4444"], button[aria-label="색 #ef4444"]');
  const box = (await drawer.locator('#board').boundingBox())!;
  await drawer.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.8);
  await other!.waitForFunction(() => {
    const c = document.querySelector<HTMLCanvasElement>('#board')!;
    const d = c
      .getContext('2d')!
      .getImageData(Math.floor(c.width / 2), Math.floor(c.height * 0.8), 1, 1).data;
    return d[0] === 239 && d[1] === 68 && d[2] === 68;
  });
  // The fill stops at the line: above it stays white.
  expect(await pixel(other!, 0.5, 0.1)).toEqual([255, 255, 255]);
  await drawer.click('button[data-tool="pen"]');
  await drawer.click('button[aria-label="Color #1f2937"], button[aria-label="색 #1f2937"]');
  await drawLine(drawer, 0.1, 0.9, 0.6);
  await other!.waitForFunction(() => {
    const c = document.querySelector<HTMLCanvasElement>('#board')!;
    const d = c
      .getContext('2d')!
      .getImageData(Math.floor(c.width / 2), Math.floor(c.height * 0.6), 1, 1).data;
    return d[0] !== 239;
  });
  await drawer.click('#undo-btn');
  await other!.waitForFunction(() => {
    const c = document.querySelector<HTMLCanvasElement>('#board')!;
    const d = c
      .getContext('2d')!
      .getImageData(Math.floor(c.width / 2), Math.floor(c.height * 0.6), 1, 1).data;
    return d[0] === 239 && d[1] === 68 && d[2] === 68;
  });
  expect(await pixel(drawer, 0.5, 0.6)).toEqual([239, 68, 68]);

  // One long gesture is sent as many segments, more than the server's burst for drawing events;
  // one undo still takes all of it away, for everyone (the refused undos are sent again).
  const row = 0.45;
  await drawer.mouse.move(box.x + box.width * 0.1, box.y + box.height * row);
  await drawer.mouse.down();
  for (let i = 1; i <= 90; i++) {
    const x = i % 20 < 10 ? 0.1 + 0.08 * (i % 10) : 0.9 - 0.08 * (i % 10);
    await drawer.mouse.move(box.x + box.width * x, box.y + box.height * row);
    await drawer.waitForTimeout(30);
  }
  await drawer.mouse.up();
  const inkOnRow = (page: Page) =>
    page.evaluate((y) => {
      const c = document.querySelector<HTMLCanvasElement>('#board')!;
      const d = c.getContext('2d')!.getImageData(0, Math.floor(c.height * y), c.width, 1).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i]! < 100) n++;
      return n;
    }, row);
  await other!.waitForFunction((y) => {
    const c = document.querySelector<HTMLCanvasElement>('#board')!;
    const d = c.getContext('2d')!.getImageData(Math.floor(c.width / 2), Math.floor(c.height * y), 1, 1).data;
    return d[0]! < 100;
  }, row);
  expect(await inkOnRow(other!)).toBeGreaterThan(0);
  await drawer.click('#undo-btn');
  await other!.waitForFunction(
    (y) => {
      const c = document.querySelector<HTMLCanvasElement>('#board')!;
      const d = c.getContext('2d')!.getImageData(0, Math.floor(c.height * y), c.width, 1).data;
      for (let i = 0; i < d.length; i += 4) if (d[i]! < 100) return false;
      return true;
    },
    row,
    { timeout: 15_000 },
  );
  expect(await inkOnRow(drawer)).toBe(0);

  // A third player arrives mid-turn and gets the drawing so far.
  const late = await newPage({ width: 800, height: 700 });
  await late.goto(`${stack.site.url}/?room=${code}`);
  await late.fill('#nickname', 'Late');
  await late.click('#join-btn');
  await late.locator('#hint').waitFor();
  await late.waitForFunction(() => {
    const c = document.querySelector<HTMLCanvasElement>('#board')!;
    const d = c
      .getContext('2d')!
      .getImageData(Math.floor(c.width / 2), Math.floor(c.height * 0.3), 1, 1).data;
    return d[0] === 31 && d[1] === 41 && d[2] === 55;
  });
  expect(await pixel(late, 0.5, 0.8)).toEqual([239, 68, 68]);
  expect(await pixel(late, 0.5, 0.1)).toEqual([255, 255, 255]);
  await shot(late, '7-late-joiner');
  await shot(second, '8-phone-drawing');
  // Phone layout: the board fits the narrow screen.
  const phoneBoard = await second.locator('#board').boundingBox();
  expect(phoneBoard!.width).toBeLessThanOrEqual(390);
  expect(phoneBoard!.width).toBeGreaterThan(300);
  await drawer.click('#clear-btn');
  for (const p of [late, other!]) {
    await p.waitForFunction(() => {
      const c = document.querySelector<HTMLCanvasElement>('#board')!;
      const d = c
        .getContext('2d')!
        .getImageData(Math.floor(c.width / 2), Math.floor(c.height * 0.3), 1, 1).data;
      return d[0] === 255 && d[1] === 255 && d[2] === 255;
    });
    expect(await pixel(p, 0.5, 0.8)).toEqual([255, 255, 255]);
  }
});
