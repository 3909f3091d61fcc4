export * from './core';
export { createObjectStore, createS3, imageKeys, userImagesPrefix } from './images';
export {
  encodeKeyPath,
  ObjectStore,
  ObjectTooLargeError,
  S3RequestError,
  signV4,
  type ObjectStoreOptions,
  type S3Credentials,
} from './objects';
