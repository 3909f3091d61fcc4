export * from './types';
export * from './schemas';
export * from './validate';
export * from './words';
export { ackError, ackOk } from './ack';
