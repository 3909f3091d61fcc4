import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const dist = join(__dirname, '..', 'dist');

/** Runs `body` in a fresh Node (the built kit, as a service runs it) and returns what it printed. */
function run(body: string): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['-e', body], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  return { status: r.status, out: r.stdout + r.stderr };
}

/** Throws from the kit's built config.ts and prints the frame that threw. */
const printKitFrame = `
  const { ServiceConfig } = require(${JSON.stringify(join(dist, 'config.js'))});
  try { new ServiceConfig({}, new Map()).string('NOPE'); } catch (e) { console.log(e.stack.split('\\n')[1]); }`;

describe('@hybrid/service-kit/source-maps', () => {
  it("maps our own frames to the TypeScript and leaves node_modules' maps unread", () => {
    const r = run(`
      require(${JSON.stringify(join(dist, 'source-maps.js'))});
      ${printKitFrame}
      console.log(JSON.stringify(require('node:module').getSourceMapsSupport()));
    `);
    expect(r.status).toBe(0);
    const [frame, support] = r.out.trim().split('\n');
    expect(frame).toMatch(/src[\\/]config\.ts:\d+:\d+/);
    expect(JSON.parse(support!)).toEqual({ enabled: true, nodeModules: false, generatedCode: false });
  });

  it('is what makes the frames TypeScript: without it they point at dist/*.js', () => {
    const r = run(printKitFrame);
    expect(r.status).toBe(0);
    expect(r.out).toMatch(/dist[\\/]config\.js:\d+:\d+/);
  });
});
