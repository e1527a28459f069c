export * from './data-source-options.js';
export * from './database.service.js';
export * from './database.module.js';
export * from './driver-errors.js';
export { MIGRATIONS } from './migrations/index.js';
export type { Row, Statement, UnitOfWork } from './unit-of-work.js';
export * from './column-text.js';
