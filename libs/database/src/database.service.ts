import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type EntityMetadata, type EntityTarget, type ObjectLiteral } from 'typeorm';
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver.js';
import {
  COMMIT,
  MysqlUnitOfWork,
  type Batching,
  ROLLBACK,
  sendBatch,
  SqliteUnitOfWork,
  START_READ_ONLY,
  type MysqlConnection,
  type Row,
  type Statement,
  type UnitOfWork,
} from './unit-of-work.js';
import { classifyDriverError, isRetryableDriverError } from './driver-errors.js';

/**
 * Tries in all of a transaction the engine asks to retry, and the pauses between them: at most
 * about 4 s of pauses, enough for a hundred racing writes of one row from two Galera nodes.
 */
const RETRY_ATTEMPTS = 10;
/**
 * Tries in all of a transaction whose host failed before it could commit (refused, lost, not
 * ready): enough to move to another host of the cluster, short enough that an outage is answered
 * 503 at once.
 */
const FAILOVER_ATTEMPTS = 3;
const RETRY_FIRST_PAUSE_MS = 20;
const RETRY_MAX_PAUSE_MS = 1000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A mysql2 error of a connection that broke (server gone, reset, closed under the caller). */
function connectionLost(error: unknown): error is object {
  if (!(error instanceof Object) || classifyDriverError(error) !== 'unavailable') return false;
  const e = error as { fatal?: unknown; message?: unknown };
  return e.fatal === true || /closed state|Connection lost/i.test(String(e.message));
}

interface PooledConnection extends MysqlConnection {
  release(): void;
  destroy(): void;
}

/**
 * The one way services reach the database. On MySQL, `transaction` runs in a transaction on a pooled
 * connection and `read` runs directly. SQLite has a single connection shared by every caller, so
 * both queue behind one lock: a unit of work never sees another's half-written rows and transactions
 * never nest by accident.
 */
@Injectable()
export class Database {
  private queue: Promise<unknown> = Promise.resolve();
  readonly kind: 'sqlite' | 'mysql';

  constructor(readonly dataSource: DataSource) {
    this.kind = dataSource.options.type === 'mysql' ? 'mysql' : 'sqlite';
  }

  /**
   * Runs `work` in a transaction; what the engine asks to retry (deadlock, lock wait timeout, Galera
   * certification failure, node not ready) runs again after a jittered pause, a bounded number of
   * times, before it surfaces (as unavailable: 503 at the doors).
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.retried(() => this.serial(() => this.dataSource.transaction(work)));
  }

  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.serial(() => work(this.dataSource.manager));
  }

  /**
   * Runs `work` as a unit of work whose statements are batched (see UnitOfWork): the hot write paths
   * use it to spend one or two round trips on the database instead of one per statement. Retried on
   * deadlock, lock timeout or node not ready like `transaction`.
   */
  unitOfWork<T>(work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
    if (this.kind === 'sqlite') {
      return this.serial(() =>
        this.dataSource.transaction(async (manager) => {
          const unit = new SqliteUnitOfWork(manager);
          const result = await work(unit);
          await unit.flush();
          return result;
        }),
      );
    }
    return this.retried(() =>
      this.withConnection(async (connection, discard) => {
        const unit = new MysqlUnitOfWork(connection, await this.batching(connection));
        try {
          const result = await work(unit);
          await unit.commit();
          return result;
        } catch (error) {
          // A connection lost before the COMMIT was sent took the transaction with it: run it again.
          if (!unit.commitSent && connectionLost(error)) this.lostBeforeCommit.add(error);
          // A connection whose transaction could not be ended must not go back to the pool.
          await unit.rollback().catch(discard);
          throw error;
        }
      }),
    );
  }

  /** Errors of units of work whose connection failed before their COMMIT was sent: safe to retry. */
  private readonly lostBeforeCommit = new WeakSet<object>();

  /**
   * Runs read-only statements and returns each one's rows. Several statements see one snapshot of
   * the data and, on MySQL, make a single round trip.
   */
  async select(...statements: Statement[]): Promise<Row[][]> {
    if (this.kind === 'sqlite') return this.serial(() => new SqliteUnitOfWork(this.dataSource.manager).run(...statements));
    return this.withConnection(async (connection, discard) => {
      if (statements.length === 1) return (await sendBatch(connection, statements)) as Row[][];
      try {
        return (await sendBatch(connection, [START_READ_ONLY, ...statements, COMMIT])).slice(1, -1) as Row[][];
      } catch (error) {
        // A statement failed inside the read-only transaction: end it before the connection is reused.
        await sendBatch(connection, [ROLLBACK]).catch(discard);
        throw error;
      }
    });
  }

  /**
   * Entities from raw rows, converted by the driver exactly as TypeORM's own finds do (booleans,
   * dates). Hot paths use raw SQL with this instead of query builders and their hydration.
   */
  hydrate<T extends ObjectLiteral>(target: EntityTarget<T>, rows: Record<string, unknown>[]): T[] {
    const meta = this.metadata(target);
    return rows.map((row) => {
      const entity = meta.create() as T;
      for (const column of meta.columns) {
        (entity as Record<string, unknown>)[column.propertyName] = this.dataSource.driver.prepareHydratedValue(row[column.databaseName], column);
      }
      return entity;
    });
  }

  /** One multi-row INSERT of entities, every column bound as a parameter (generated ids left out); null when there are no rows. */
  insertStatement<T extends ObjectLiteral>(target: EntityTarget<T>, rows: Partial<T>[]): Statement | null {
    if (rows.length === 0) return null;
    const meta = this.metadata(target);
    const columns = meta.columns.filter((c) => !c.isGenerated);
    const params: unknown[] = [];
    const values = rows.map((row) => {
      for (const c of columns) params.push(this.dataSource.driver.preparePersistentValue((row as Record<string, unknown>)[c.propertyName] ?? null, c));
      return `(${columns.map(() => '?').join(', ')})`;
    });
    return { sql: `INSERT INTO ${meta.tableName} (${columns.map((c) => c.databaseName).join(', ')}) VALUES ${values.join(', ')}`, params };
  }

  /** `UPDATE … SET` of the given properties of one entity type, bound as parameters; null when nothing is set. */
  updateStatement<T extends ObjectLiteral>(target: EntityTarget<T>, changes: Partial<T>, where: Partial<T>): Statement | null {
    const meta = this.metadata(target);
    const params: unknown[] = [];
    const part = (values: Partial<T>, separator: string) =>
      Object.entries(values)
        .map(([property, value]) => {
          const column = meta.findColumnWithPropertyName(property)!;
          params.push(this.dataSource.driver.preparePersistentValue(value, column));
          return `${column.databaseName} = ?`;
        })
        .join(separator);
    const set = part(changes, ', ');
    if (!set) return null;
    return { sql: `UPDATE ${meta.tableName} SET ${set} WHERE ${part(where, ' AND ')}`, params };
  }

  private readonly metadataCache = new Map<EntityTarget<ObjectLiteral>, EntityMetadata>();

  private metadata(target: EntityTarget<ObjectLiteral>): EntityMetadata {
    let meta = this.metadataCache.get(target);
    if (!meta) {
      meta = this.dataSource.getMetadata(target);
      this.metadataCache.set(target, meta);
    }
    return meta;
  }

  /** A date as the driver binds it in raw conditions: better-sqlite3 stores UTC text, mysql2 binds Date. */
  dateParam(date: Date): unknown {
    return this.kind === 'sqlite' ? date.toISOString().replace('T', ' ').replace('Z', '') : date;
  }

  /**
   * Runs `attempt` again while it fails with what the engine asks to retry (RETRY_ATTEMPTS tries in
   * all) or on a host that failed before the work could commit (FAILOVER_ATTEMPTS), pausing between
   * half and all of a doubling ceiling ("equal jitter"): the pause grows with each failure, and
   * racing transactions do not meet again at once.
   */
  private async retried<T>(attempt: () => Promise<T>): Promise<T> {
    for (let n = 1; ; n++) {
      try {
        return await attempt();
      } catch (error) {
        // A conflict is tried again patiently; a host that failed only long enough to fail over.
        const conflict = classifyDriverError(error) === 'retry';
        const retryable = isRetryableDriverError(error) || (error instanceof Object && this.lostBeforeCommit.has(error));
        if (!retryable || n >= (conflict ? RETRY_ATTEMPTS : FAILOVER_ATTEMPTS)) throw error;
        const ceiling = Math.min(RETRY_MAX_PAUSE_MS, RETRY_FIRST_PAUSE_MS * 2 ** (n - 1));
        await sleep(ceiling / 2 + (Math.random() * ceiling) / 2);
      }
    }
  }

  private batchingMode?: Batching;

  /**
   * How units of work send their statements on this server: batched, except on a Galera node, whose
   * brute-force aborts let the rest of a multi-statement query run on in autocommit (see Batching).
   * Asked once, on the first unit of work.
   */
  private async batching(connection: MysqlConnection): Promise<Batching> {
    if (!this.batchingMode) {
      const [rows] = (await sendBatch(connection, [{ sql: "SHOW VARIABLES LIKE 'wsrep_on'", params: [] }])) as Row[][];
      this.batchingMode = rows.some((row) => String(row.Value).toUpperCase() === 'ON') ? 'single' : 'batch';
    }
    return this.batchingMode;
  }

  /**
   * A pooled MySQL connection for `work`, back to the pool afterwards; destroyed instead when the
   * connection failed or `work` discarded it (its state is unknown).
   */
  private async withConnection<T>(work: (connection: PooledConnection, discard: () => void) => Promise<T>): Promise<T> {
    const connection = (await (this.dataSource.driver as MysqlDriver).obtainMasterConnection()) as PooledConnection;
    let usable = true;
    try {
      return await work(connection, () => {
        usable = false;
      });
    } catch (error) {
      if ((error as { fatal?: boolean })?.fatal) usable = false;
      throw error;
    } finally {
      if (usable) connection.release();
      else connection.destroy();
    }
  }

  private serial<T>(work: () => Promise<T>): Promise<T> {
    if (this.kind !== 'sqlite') return work();
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }
}

/** True when the error is a unique-constraint violation on either database. */
export function isUniqueViolation(error: unknown): boolean {
  return classifyDriverError(error) === 'conflict';
}
