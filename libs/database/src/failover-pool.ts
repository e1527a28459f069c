import { Logger } from '@nestjs/common';
import mysql from 'mysql2';
import type { Pool, PoolConnection, PoolOptions } from 'mysql2';

/** One server of a cluster named in DATABASE_URL. */
export interface DatabaseHost {
  readonly host: string;
  readonly port: number;
}

/** How often every host is checked, and how long a check may take. */
export const HOST_CHECK_INTERVAL_MS = 2_000;
const HOST_CHECK_TIMEOUT_MS = 2_000;
/** How long the connections of a failed host's pool may finish their work before they are closed. */
const RETIRED_POOL_CLOSE_MS = 30_000;

/** Errors that say the host a connection talks to cannot serve now: move to another one. */
const HOST_FAILED_ERRNOS = new Set([1047, 1053, 1077, 2002, 2003, 2006, 2013]);
const HOST_FAILED_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ETIMEDOUT', 'PROTOCOL_CONNECTION_LOST']);

function hostFailed(error: unknown): boolean {
  const e = error as { errno?: unknown; code?: unknown; fatal?: unknown } | null;
  if (!e) return false;
  return (typeof e.errno === 'number' && HOST_FAILED_ERRNOS.has(e.errno)) || (typeof e.code === 'string' && HOST_FAILED_CODES.has(e.code)) || e.fatal === true;
}

type Callback = (error: Error | null, result?: unknown) => void;

/**
 * A pool over several servers of one cluster (Galera nodes, or a primary and its standbys behind
 * a manual switch) that sends all work to one of them, the current host, and moves to the next
 * healthy one in the configured order when the current one fails: a connection cannot be opened,
 * a statement reports the node not ready (1047) or shutting down, or a connection is lost. Every
 * host is checked every HOST_CHECK_INTERVAL_MS: it answers, and on Galera it is Synced and ready.
 * It stays on a host while that host is healthy (no moving back and forth), so on Galera the
 * instance's writes never race each other across nodes.
 *
 * TypeORM uses it as its MySQL driver's pool (see `failoverDriver`); the rest of mysql2 is unchanged.
 */
export class FailoverPool {
  private readonly logger = new Logger('Database');
  private readonly pools: (Pool | undefined)[];
  private readonly healthy: boolean[];
  private current = 0;
  private readonly timer: NodeJS.Timeout;
  private closed = false;

  constructor(
    readonly hosts: readonly DatabaseHost[],
    private readonly options: PoolOptions,
    checkIntervalMs = HOST_CHECK_INTERVAL_MS,
  ) {
    this.pools = hosts.map(() => undefined);
    this.healthy = hosts.map(() => true);
    this.timer = setInterval(() => void this.checkAll(), checkIntervalMs);
    this.timer.unref();
  }

  /** The host the instance sends its work to now. */
  get currentHost(): DatabaseHost {
    return this.hosts[this.current];
  }

  /** A connection to the current host; on a failure to connect, to the next healthy host, each tried once. */
  getConnection(callback: (error: Error | null, connection?: PoolConnection) => void, tried = 0): void {
    if (this.closed) return callback(new Error('Pool is closed.'));
    const index = this.current;
    const pool = this.pool(index);
    pool.getConnection((error, connection) => {
      if (error) {
        // The host failed while this caller waited for one of its connections.
        const left = pool !== this.pools[index] && !this.closed;
        if ((left || hostFailed(error)) && tried + 1 < this.hosts.length) {
          if (!left) this.markFailed(index, error);
          return this.getConnection(callback, tried + 1);
        }
        return callback(error);
      }
      callback(null, this.watched(index, connection));
    });
  }

  end(callback?: (error?: Error | null) => void): void {
    this.closed = true;
    clearInterval(this.timer);
    const pools = this.pools.filter((p): p is Pool => p !== undefined);
    let left = pools.length;
    if (left === 0) return callback?.(null);
    for (const pool of pools) pool.end(() => --left === 0 && callback?.(null));
  }

  /** Checks every host now; resolves when all have answered or timed out. */
  async checkAll(): Promise<void> {
    await Promise.all(
      this.hosts.map(async (_, index) => {
        const ok = await this.check(index);
        if (this.closed) return;
        if (!ok && this.healthy[index]) this.markFailed(index, new Error('health check failed'));
        else if (ok && !this.healthy[index]) {
          this.healthy[index] = true;
          this.logger.log(`Database host ${this.describe(index)} is healthy again`);
        }
      }),
    );
  }

  private pool(index: number): Pool {
    let pool = this.pools[index];
    if (!pool) {
      const { host, port } = this.hosts[index];
      pool = mysql.createPool({ ...this.options, host, port });
      this.pools[index] = pool;
    }
    return pool;
  }

  /**
   * Marks a host failed and, when it is the current one, moves to the next healthy host (or the
   * next one at all when none is known healthy). Its pool is set aside, and closed once the work
   * that holds its connections has had time to end: they are not reused when the host comes back.
   */
  private markFailed(index: number, error: unknown): void {
    const wasHealthy = this.healthy[index];
    this.healthy[index] = false;
    if (wasHealthy) this.logger.warn(`Database host ${this.describe(index)} failed: ${(error as Error).message}`);
    const pool = this.pools[index];
    this.pools[index] = undefined;
    if (pool) setTimeout(() => pool.end(() => undefined), RETIRED_POOL_CLOSE_MS).unref();
    if (index !== this.current) return;
    const order = this.hosts.map((_, i) => (index + 1 + i) % this.hosts.length);
    this.current = order.find((i) => this.healthy[i]) ?? order[0];
    if (this.current !== index) this.logger.warn(`Database work moves to ${this.describe(this.current)}`);
  }

  /** The connection, with its statements' failures reported to the pool. */
  private watched(index: number, connection: PoolConnection): PoolConnection {
    const marked = connection as PoolConnection & { failoverWatched?: boolean };
    if (marked.failoverWatched) return connection;
    marked.failoverWatched = true;
    const query = connection.query.bind(connection) as (...args: unknown[]) => unknown;
    (connection as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const last = args.length - 1;
      if (typeof args[last] === 'function') {
        const callback = args[last] as Callback;
        args[last] = (error: Error | null, ...rest: unknown[]) => {
          if (error && hostFailed(error) && this.pools[index] === (connection as unknown as { _pool?: unknown })._pool) this.markFailed(index, error);
          (callback as (...a: unknown[]) => void)(error, ...rest);
        };
      }
      return query(...args);
    };
    return connection;
  }

  /** The host answers and, on Galera, is Synced and ready to serve. */
  private async check(index: number): Promise<boolean> {
    const { host, port } = this.hosts[index];
    const { user, password, database, ssl } = this.options;
    try {
      const connection = mysql.createConnection({ host, port, user, password, database, ssl, connectTimeout: HOST_CHECK_TIMEOUT_MS });
      connection.on('error', () => undefined);
      try {
        const values = async (sql: string) => {
          const [rows] = await connection.promise().query(sql);
          return Object.fromEntries((rows as { Variable_name: string; Value: string }[]).map((r) => [r.Variable_name, r.Value]));
        };
        // MariaDB builds with Galera report wsrep status variables even where wsrep is off.
        if ((await values("SHOW VARIABLES LIKE 'wsrep_on'")).wsrep_on !== 'ON') return true;
        const status = await values("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment')");
        return status.wsrep_ready === 'ON' && status.wsrep_local_state_comment === 'Synced';
      } finally {
        connection.destroy();
      }
    } catch {
      return false;
    }
  }

  private describe(index: number): string {
    const { host, port } = this.hosts[index];
    return `${host}:${port}`;
  }
}

/** The mysql2 module as TypeORM's MySQL driver sees it, with pools that span the given hosts. */
export function failoverDriver(hosts: readonly DatabaseHost[], checkIntervalMs?: number): typeof mysql {
  return { ...mysql, createPool: (options: PoolOptions) => new FailoverPool(hosts, options, checkIntervalMs) } as unknown as typeof mysql;
}
