import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { MIGRATIONS } from './migrations/index.js';

type Entities = MixedList<Function | string | EntitySchema>;

/** MySQL pool settings (DATABASE_POOL_SIZE, DATABASE_CONNECT_TIMEOUT_MS). */
export interface PoolOptions {
  size?: number;
  connectTimeoutMs?: number;
}

/**
 * DataSource options from a DATABASE_URL: `sqlite:<path>` (relative to the working directory) or
 * `mysql://user:pass@host:port/db`. The schema comes from migrations only; `synchronize` stays off.
 */
export function dataSourceOptions(databaseUrl: string, entities: Entities, pool: PoolOptions = {}): DataSourceOptions {
  if (databaseUrl.startsWith('mysql:')) {
    const size = pool.size ?? 20;
    return {
      type: 'mysql',
      url: databaseUrl,
      entities,
      migrations: MIGRATIONS,
      synchronize: false,
      migrationsTransactionMode: 'each',
      timezone: 'Z',
      charset: 'utf8mb4_bin',
      supportBigNumbers: true,
      // Database.unitOfWork/select send a unit's statements as one multi-statement query (one round
      // trip). Every statement is built in code with `?` parameters; no input ever becomes SQL text.
      multipleStatements: true,
      poolSize: size,
      connectTimeout: pool.connectTimeoutMs ?? 5000,
      // Waits for a free connection are bounded by Database (DATABASE_ACQUIRE_TIMEOUT_MS), not by a queue length.
      extra: { connectionLimit: size, maxIdle: size, enableKeepAlive: true },
    };
  }
  const file = databaseUrl.slice('sqlite:'.length);
  const database = file === ':memory:' ? file : resolve(file);
  if (database !== ':memory:') mkdirSync(dirname(database), { recursive: true });
  return {
    type: 'better-sqlite3',
    database,
    entities,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsTransactionMode: 'each',
    enableWAL: database !== ':memory:',
    timeout: 10_000,
    prepareDatabase: (db: { function: Function; pragma: (s: string) => unknown }) => {
      // SQLite's own lower() folds ASCII only; match JavaScript's (and MySQL's) Unicode folding.
      db.function('lower', { deterministic: true }, (value: unknown) =>
        typeof value === 'string' ? value.toLowerCase() : value,
      );
      // LIKE compares case-sensitively, as on MySQL with utf8mb4_bin.
      db.pragma('case_sensitive_like = ON');
      db.pragma('synchronous = NORMAL');
    },
  };
}
