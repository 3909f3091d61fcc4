import type { Ack, ErrorCode } from './types';

export const ackOk = <T>(data: T): Ack<T> => ({ ok: true, data });
export const ackError = (code: ErrorCode, message: string): Ack<never> => ({
  ok: false,
  error: { code, message },
});
