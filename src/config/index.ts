export * from './schema.js';
export * from './load.js';
export * from './paths.js';
export * from './run-dir.js';
