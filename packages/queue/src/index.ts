export * from './core';
export { createS3, imageKeys, userImagesPrefix } from './images';
