export * from './image-ref';
export * from './bump-images';
export * from './manifest-diff';
export * from './changed-apps';
export * from './dockerfile-rules';
export * from './readme';
export * from './dockerignore';
