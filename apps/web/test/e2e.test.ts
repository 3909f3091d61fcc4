/**
 * End to end in headless Debian chromium: two players in two browser contexts play a real game
 * against the real game server through the built site. Screenshots of each phase are saved under
 * test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ARTIFACTS, launchBrowser, startStack, type Stack } from './helpers';

jest.setTimeout(120_000);

const SHOTS = join(ARTIFACTS, 'screenshots');
const shot = (page: Page, name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`) });

let stack: Stack;
let browser: Browser;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  stack = await startStack(join(ARTIFACTS, 'site'));
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

async function newPage(viewport = { width: 1280, height: 800 }, locale = 'en-US'): Promise<Page> {
  const ctx = await browser.newContext({ viewport, locale });
  contexts.push(ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => console.error('page error:', e.message));
  return page;
}

/** Color of the board's pixel at normalized (x, y). */
const pixel = (page: Page, x: number, y: number) =>
  page.$eval(
    '#board',
    (el, [nx, ny]) => {
      const c = el as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(Math.floor(nx! * c.width), Math.floor(ny! * c.height), 1, 1).data;
      return [d[0], d[1], d[2]];
    },
    [x, y],
  );

/** Draws a horizontal line across the drawer's board with real pointer input. */
async function drawLine(page: Page, from: number, to: number, y: number): Promise<void> {
  const box = (await page.locator('#board').boundingBox())!;
  await page.mouse.move(box.x + box.width * from, box.y + box.height * y);
  await page.mouse.down();
  for (let i = 1; i <= 20; i++) await page.mouse.move(box.x + box.width * (from + ((to - from) * i) / 20), box.y + box.height * y);
  await page.mouse.up();
}

const scoreOf = (page: Page, nickname: string) =>
  page.locator('#players li', { hasText: nickname }).locator('.score').textContent().then(Number);

/** The page whose player must choose a word (the drawer), and the other one. */
async function drawerOf(a: Page, b: Page): Promise<[Page, Page]> {
  const which = await Promise.race([
    a.waitForSelector('#word-choices button', { timeout: 20_000 }).then(() => 'a'),
    b.waitForSelector('#word-choices button', { timeout: 20_000 }).then(() => 'b'),
  ]);
  return which === 'a' ? [a, b] : [b, a];
}

async function playTurn(drawer: Page, guesser: Page, shotPrefix: string, wrongGuess: boolean) {
  await shot(drawer, `${shotPrefix}-1-word-choice`);
  const word = (await drawer.locator('#word-choices button').first().textContent())!.trim();
  await drawer.locator('#word-choices button').first().click();
  await drawer.locator('#my-word', { hasText: word }).waitFor();
  await guesser.locator('#hint').waitFor();
  // The guesser's hint hides the word.
  expect(await guesser.locator('#hint').textContent()).not.toContain(word);

  await drawLine(drawer, 0.2, 0.8, 0.5);
  // The stroke appears on the guesser's canvas: the pen's dark color where white was.
  await guesser.waitForFunction(() => {
    const c = document.querySelector<HTMLCanvasElement>('#board')!;
    const d = c.getContext('2d')!.getImageData(Math.floor(c.width / 2), Math.floor(c.height / 2), 1, 1).data;
    return d[0]! < 100 && d[1]! < 100 && d[2]! < 100;
  });
  expect(await pixel(guesser, 0.5, 0.5)).toEqual([31, 41, 55]);
  expect(await pixel(guesser, 0.5, 0.1)).toEqual([255, 255, 255]);
  await shot(drawer, `${shotPrefix}-2-drawer-drawing`);
  await shot(guesser, `${shotPrefix}-3-guesser-sees-stroke`);

  if (wrongGuess) {
    await guesser.fill('#chat-input', 'definitely wrong');
    await guesser.press('#chat-input', 'Enter');
    for (const p of [guesser, drawer]) await p.locator('#chat-log .msg', { hasText: 'definitely wrong' }).waitFor();
  }
  await guesser.fill('#chat-input', ` ${word.toUpperCase()} `);
  await guesser.press('#chat-input', 'Enter');
  await guesser.locator('#chat-log .msg.correct', { hasText: 'You guessed it!' }).waitFor();
  await drawer.locator('#chat-log .msg.correct', { hasText: 'guessed the word' }).waitFor();
  // The correct guess itself is never shown in the chat.
  expect(await drawer.locator('#chat-log').textContent()).not.toContain(word.toUpperCase());
  await shot(guesser, `${shotPrefix}-4-guessed`);
  // Everyone guessed: the turn ends with the word revealed to both.
  for (const p of [drawer, guesser]) await p.locator('#revealed-word', { hasText: word }).waitFor();
  await shot(guesser, `${shotPrefix}-5-reveal`);
  return word;
}

test('two players create, join, draw, guess, reconnect and finish a game', async () => {
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

  // Bob follows the share link.
  const bob = await newPage();
  await bob.goto(`${stack.site.url}/?room=${code}`);
  expect(await bob.inputValue('#room-code')).toBe(code);
  await bob.fill('#nickname', 'Bob');
  await bob.click('#join-btn');
  await bob.locator('#players li', { hasText: 'Alice' }).waitFor();
  await alice.locator('#players li', { hasText: 'Bob' }).waitFor();
  await bob.locator('#lobby-panel', { hasText: 'Waiting for the host' }).waitFor();
  await shot(alice, '1-room-lobby');

  await alice.locator('#start-btn:not([disabled])').click();
  const [drawer1, guesser1] = await drawerOf(alice, bob);
  const word1 = await playTurn(drawer1, guesser1, '2-turn1', true);
  expect(['giraffe', 'rocket', 'castle']).toContain(word1);
  const guesserName = guesser1 === alice ? 'Alice' : 'Bob';
  const drawerName = guesser1 === alice ? 'Bob' : 'Alice';

  // Scores updated on both screens, the same figures.
  const g1 = await scoreOf(guesser1, guesserName);
  const d1 = await scoreOf(guesser1, drawerName);
  expect(g1).toBeGreaterThan(0);
  expect(d1).toBeGreaterThan(0);
  expect(await scoreOf(drawer1, guesserName)).toBe(g1);
  expect(await scoreOf(drawer1, drawerName)).toBe(d1);

  // Reconnect: the guesser reloads the tab; the seat (and score) come back, no duplicate player.
  await guesser1.reload();
  await guesser1.locator('#players li', { hasText: guesserName }).waitFor();
  expect(await scoreOf(guesser1, guesserName)).toBe(g1);
  expect(await guesser1.locator('#players li').count()).toBe(2);
  expect(await drawer1.locator('#players li').count()).toBe(2);

  // Second turn, roles swapped; then the game ends with the podium.
  const [drawer2, guesser2] = await drawerOf(alice, bob);
  expect(drawer2).toBe(guesser1);
  await playTurn(drawer2, guesser2, '3-turn2', false);
  for (const p of [alice, bob]) await p.locator('#podium').waitFor({ timeout: 30_000 });
  const ranking = await alice.locator('#podium li').allTextContents();
  expect(ranking).toHaveLength(2);
  await shot(alice, '4-podium');
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
  // Korean interface from the browser's language.
  await second.locator('#create-btn', { hasText: '방 만들기' }).waitFor();
  await shot(second, '5-phone-lobby-ko');
  await second.fill('#nickname', '민지');
  await second.click('#join-btn');
  await host.locator('#start-btn:not([disabled])').click();
  const [drawer, other] = await drawerOf(host, second);
  await drawer.locator('#word-choices button').first().click();
  await drawer.locator('#my-word').waitFor();
  await drawLine(drawer, 0.1, 0.9, 0.3);

  // A third player arrives mid-turn and gets the drawing so far.
  const late = await newPage({ width: 800, height: 700 });
  await late.goto(`${stack.site.url}/?room=${code}`);
  await late.fill('#nickname', 'Late');
  await late.click('#join-btn');
  await late.locator('#hint').waitFor();
  await late.waitForFunction(() => {
    const c = document.querySelector<HTMLCanvasElement>('#board')!;
    const d = c.getContext('2d')!.getImageData(Math.floor(c.width / 2), Math.floor(c.height * 0.3), 1, 1).data;
    return d[0] === 31 && d[1] === 41 && d[2] === 55;
  });
  expect(await pixel(late, 0.5, 0.8)).toEqual([255, 255, 255]);
  await shot(late, '6-late-joiner');
  await shot(other, '7-phone-drawing');
  // Phone layout: the board fits the narrow screen.
  const box = await (other === second ? second : second).locator('#board').boundingBox();
  expect(box!.width).toBeLessThanOrEqual(390);
  expect(box!.width).toBeGreaterThan(300);
});
