import { applyBump, BumpError, formatLock, parseBumpArgs } from '../src/bump-images';
import { parseImageRef } from '../src/image-ref';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const known = ['auth', 'chat', 'web', 'postgres'];

describe('parseImageRef', () => {
  it.each(['1.2.3', '0.4.0-rc.1', 'sha-0a1b2c3', '2026.11.22', DIGEST])('accepts %s', (ref) => {
    expect(parseImageRef(ref)).not.toHaveProperty('error');
  });

  it.each([
    ['latest', /floating tag/],
    ['LATEST', /floating tag/],
    ['', /empty/],
    ['sha256:abc', /exactly 64 lowercase hex/],
    [`sha256:${'A'.repeat(64)}`, /exactly 64 lowercase hex/],
    [`1.2.3@${DIGEST}`, /not a digest/],
    ['registry/hybrid/auth:1.2.3', /full image name/],
    ['-1.2', /not a valid tag/],
    ['a'.repeat(129), /not a valid tag/],
    ['1.2 3', /not a valid tag/],
  ])('rejects %j', (ref, message) => {
    const r = parseImageRef(ref);
    expect('error' in r && r.error).toMatch(message);
  });
});

describe('parseBumpArgs', () => {
  it('maps apps to references', () => {
    expect([...parseBumpArgs([`auth=${DIGEST}`, 'chat=1.2.3'], known)]).toEqual([
      ['auth', DIGEST],
      ['chat', '1.2.3'],
    ]);
  });

  it('accepts the same pair twice', () => {
    expect(parseBumpArgs(['auth=1.0.0', 'auth=1.0.0'], known).size).toBe(1);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      parseBumpArgs(
        ['nope=1.0.0', 'auth=latest', 'chat', 'web=sha256:12', 'postgres=1.0.0', 'postgres=2.0.0'],
        known,
      );
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(BumpError);
    const problems = (error as BumpError).problems;
    expect(problems).toEqual([
      'unknown image "nope" (known: auth, chat, postgres, web)',
      expect.stringMatching(/^auth: "latest" is a floating tag/),
      '"chat" is not <app>=<ref> (for example auth=1.2.3)',
      expect.stringMatching(/^web: "sha256:12" is not a digest/),
      'postgres is given twice with different references ("1.0.0" and "2.0.0")',
    ]);
    expect((error as Error).message).toMatch(/^bump-images: nothing was changed \(5 problems\)/);
  });

  it('asks for arguments when there are none', () => {
    expect(() => parseBumpArgs([], known)).toThrow(/usage is bump-images <app>=<ref>/);
  });
});

describe('applyBump', () => {
  it('changes only the named references and keeps the key order', () => {
    const lock = { web: '0.1.0', auth: '0.1.0', chat: '0.1.0' };
    const next = applyBump(lock, new Map([['auth', DIGEST]]));
    expect(Object.entries(next)).toEqual([
      ['web', '0.1.0'],
      ['auth', DIGEST],
      ['chat', '0.1.0'],
    ]);
    expect(lock.auth).toBe('0.1.0');
    expect(formatLock(next)).toBe(`{\n  "web": "0.1.0",\n  "auth": "${DIGEST}",\n  "chat": "0.1.0"\n}\n`);
  });
});
