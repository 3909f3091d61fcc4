import { hash, verify } from '@node-rs/argon2';
import { UnprocessableError } from '@hybrid/service-kit';

export interface Argon2Params {
  readonly memoryCost: number;
  readonly timeCost: number;
  readonly parallelism: number;
}

/** argon2id (the library's default algorithm) with the configured costs. */
export class PasswordHasher {
  private dummy: Promise<string> | undefined;
  constructor(private readonly params: Argon2Params) {}

  hash(password: string): Promise<string> {
    return hash(password, { ...this.params, outputLen: 32 });
  }

  /**
   * Checks a password. With no stored hash (unknown email, OAuth-only account) it still runs one
   * argon2 verification against a throwaway hash, so timing does not reveal whether an email exists.
   */
  async verify(stored: string | null | undefined, password: string): Promise<boolean> {
    if (!stored) {
      this.dummy ??= this.hash('not-a-real-password-0000');
      await verify(await this.dummy, password).catch(() => false);
      return false;
    }
    try {
      return await verify(stored, password);
    } catch {
      return false;
    }
  }
}

export const PASSWORD_MIN = 10;
export const PASSWORD_MAX = 128;
// A few of the most common passwords at or above the minimum length (NCSC / HIBP top lists).
const COMMON = new Set([
  '1234567890',
  '0123456789',
  'qwertyuiop',
  'password12',
  'password123',
  'password1234',
  '1q2w3e4r5t',
  'qwerty1234',
  'iloveyou12',
  'abcdefghij',
  'a1234567890',
  '11111111111',
  'asdfghjkl1',
  'passw0rd123',
  'letmein1234',
]);

/** OWASP-style rules: length, not a common password, not one repeated character, not the email or nickname. */
export function checkPassword(password: string, context: { email: string; nickname?: string }): void {
  const problems: string[] = [];
  const chars = [...password];
  if (chars.length < PASSWORD_MIN) problems.push(`Password must have at least ${PASSWORD_MIN} characters`);
  if (chars.length > PASSWORD_MAX) problems.push(`Password must have at most ${PASSWORD_MAX} characters`);
  const lower = password.toLowerCase();
  if (COMMON.has(lower)) problems.push('Password is too common');
  if (chars.length > 0 && new Set(chars).size === 1) problems.push('Password must not repeat one character');
  const local = context.email.split('@')[0] ?? '';
  if (local.length >= 3 && lower.includes(local.toLowerCase()))
    problems.push('Password must not contain your email address');
  if (context.nickname && context.nickname.length >= 3 && lower.includes(context.nickname.toLowerCase()))
    problems.push('Password must not contain your nickname');
  if (problems.length)
    throw new UnprocessableError(
      problems.map((msg) => ({ loc: ['body', 'password'], msg, type: 'value_error' })),
    );
}
