import pino, { type Logger, type LoggerOptions } from 'pino';

/** Paths that never reach a log line: credentials, tokens and secrets. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'headers.authorization',
  '*.password',
  '*.newPassword',
  '*.accessToken',
  '*.refreshToken',
  '*.token',
  '*.secret',
  'password',
  'accessToken',
  'refreshToken',
];

export function createLogger(name: string, level: string, extra: LoggerOptions = {}): Logger {
  return pino({
    name,
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    base: { service: name },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...extra,
  });
}

export type { Logger };
