import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { DataSourceOptions, MixedList, EntitySchema } from 'typeorm';
import { failoverDriver, type DatabaseHost } from './failover-pool.js';
import { MIGRATIONS } from './migrations/index.js';

type Entities = MixedList<Function | string | EntitySchema>;

/** MySQL pool settings (DATABASE_POOL_SIZE, DATABASE_CONNECT_TIMEOUT_MS). */
export interface PoolOptions {
  size?: number;
  connectTimeoutMs?: number;
}

/**
 * The hosts of a `mysql://user:pass@host1:port1,host2:port2/db` URL (port 3306 when left out), and
 * the URL with the first host only; null when the URL names one host.
 */
export function clusterHosts(databaseUrl: string): { hosts: DatabaseHost[]; firstHostUrl: string } | null {
  const match = /^(mysql:\/\/(?:[^@/]*@)?)([^/?#]+)(.*)$/.exec(databaseUrl);
  if (!match || !match[2].includes(',')) return null;
  const hosts = match[2].split(',').map((part) => {
    const at = part.lastIndexOf(':');
    const host = at > 0 ? part.slice(0, at) : part;
    const port = at > 0 ? Number(part.slice(at + 1)) : 3306;
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) throw new Error(`DATABASE_URL names a host that is not host[:port]: "${part}"`);
    return { host, port };
  });
  return { hosts, firstHostUrl: `${match[1]}${match[2].split(',')[0]}${match[3]}` };
}

/**
 * DataSource options from a DATABASE_URL: `sqlite:<path>` (relative to the working directory) or
 * `mysql://user:pass@host:port/db`. Several hosts of one cluster, `mysql://user:pass@h1:3306,h2:3306/db`,
 * give a pool that works on one of them and fails over to the next (see FailoverPool). The schema
 * comes from migrations only; `synchronize` stays off.
 */
export function dataSourceOptions(databaseUrl: string, entities: Entities, pool: PoolOptions = {}): DataSourceOptions {
  if (databaseUrl.startsWith('mysql:')) {
    const size = pool.size ?? 20;
    const cluster = clusterHosts(databaseUrl);
    return {
      type: 'mysql',
      url: cluster?.firstHostUrl ?? databaseUrl,
      ...(cluster ? { driver: failoverDriver(cluster.hosts) } : {}),
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
