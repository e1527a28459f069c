import { Injectable, Logger, Optional } from '@nestjs/common';
import { DataSource, type EntityManager, type EntityMetadata, type EntityTarget, type ObjectLiteral, type QueryRunner } from 'typeorm';
import { AppConfig } from '@app/config';
import type { MysqlDriver } from 'typeorm/driver/mysql/MysqlDriver.js';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
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
import { classifyDriverError, DatabaseUnavailableError, describeDriverError, isRetryableDriverError } from './driver-errors.js';

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
  readonly threadId: number;
  readonly config?: { host?: string; port?: number };
  release(): void;
  destroy(): void;
}

/** The bounds of every wait on MySQL (see AppConfig's DATABASE_* variables). */
interface Bounds {
  acquireTimeoutMs: number;
  queryTimeoutMs: number;
  inDoubtWaitMs: number;
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
  private readonly logger = new Logger('Database');
  private readonly bounds: Bounds;
  readonly kind: 'sqlite' | 'mysql';
  /** Since when the database has failed to serve, and how many operations failed since; null while it serves. */
  private outage: { since: number; failures: number } | null = null;

  constructor(
    readonly dataSource: DataSource,
    @Optional() config?: AppConfig,
  ) {
    this.kind = dataSource.options.type === 'mysql' ? 'mysql' : 'sqlite';
    this.bounds = {
      acquireTimeoutMs: config?.DATABASE_ACQUIRE_TIMEOUT_MS ?? 10_000,
      queryTimeoutMs: config?.DATABASE_QUERY_TIMEOUT_MS ?? 15_000,
      inDoubtWaitMs: config?.DATABASE_IN_DOUBT_WAIT_MS ?? 20_000,
    };
  }

  /**
   * Runs `work` in a transaction; what the engine asks to retry (deadlock, lock wait timeout, Galera
   * certification failure, node not ready) runs again after a jittered pause, a bounded number of
   * times, before it surfaces (as unavailable: 503 at the doors).
   */
  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind === 'sqlite') return this.watched(() => this.retried(() => this.serial(() => this.dataSource.transaction(work))));
    return this.watched(() =>
      this.retried(() =>
        this.withRunner(async (runner) => {
          await runner.startTransaction();
          try {
            const result = await work(runner.manager);
            await runner.commitTransaction();
            return result;
          } catch (error) {
            if (runner.isTransactionActive && classifyDriverError(error) !== 'unavailable') await runner.rollbackTransaction();
            throw error;
          }
        }),
      ),
    );
  }

  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    if (this.kind === 'sqlite') return this.watched(() => this.serial(() => work(this.dataSource.manager)));
    return this.watched(() => this.withRunner((runner) => work(runner.manager)));
  }

  /**
   * Whether the database answers now, within `timeoutMs` (readiness). Never throws.
   */
  async ping(timeoutMs: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs)));
    try {
      return await Promise.race([this.read((m) => m.query('SELECT 1')).then(() => true, () => false), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Runs `work` as a unit of work whose statements are batched (see UnitOfWork): the hot write paths
   * use it to spend one or two round trips on the database instead of one per statement. Retried on
   * deadlock, lock timeout or node not ready like `transaction`.
   */
  unitOfWork<T>(work: (unit: UnitOfWork) => Promise<T>): Promise<T> {
    if (this.kind === 'sqlite') {
      return this.watched(() =>
        this.serial(() =>
          this.dataSource.transaction(async (manager) => {
            const unit = new SqliteUnitOfWork(manager);
            const result = await work(unit);
            await unit.flush();
            return result;
          }),
        ),
      );
    }
    return this.watched(() =>
      this.retried(() =>
        this.withConnection(async (connection, discard) => {
          const unit = new MysqlUnitOfWork(connection, await this.batching(connection), this.bounds.queryTimeoutMs);
          let result: T;
          try {
            result = await work(unit);
          } catch (error) {
            // A connection lost before the COMMIT was sent took the transaction with it: run it again.
            if (connectionLost(error)) this.lostBeforeCommit.add(error);
            // A connection whose transaction could not be ended must not go back to the pool.
            await unit.rollback().catch(discard);
            throw error;
          }
          const committing = Date.now();
          try {
            await unit.commit();
            return result;
          } catch (error) {
            if (classifyDriverError(error) !== 'unavailable') {
              await unit.rollback().catch(discard);
              throw error;
            }
            discard();
            // Lost before the COMMIT left (statement by statement on Galera): nothing can have committed.
            if (!unit.commitSent) {
              if (error instanceof Object) this.lostBeforeCommit.add(error);
              throw error;
            }
            // Lost while the COMMIT was under way: the writes may or may not be in. Ask; when they
            // are not, the transaction may safely run again.
            if (await this.committed(connection, committing, unit.commitMarker)) return result;
            if (error instanceof Object) this.lostBeforeCommit.add(error);
            throw error;
          }
        }),
      ),
    );
  }

  /** Errors of units of work whose connection failed before their COMMIT was sent: safe to retry. */
  private readonly lostBeforeCommit = new WeakSet<object>();

  /**
   * Whether a unit of work whose connection was lost during its COMMIT was committed: ends the old
   * connection's session on the server (so that nothing it still held can commit later), then asks
   * the unit's marker. Waits up to DATABASE_IN_DOUBT_WAIT_MS for the database to answer; a unit
   * without a marker, or a database that does not answer in time, is an unavailable database.
   */
  private async committed(lost: PooledConnection, since: number, marker: Statement | undefined): Promise<boolean> {
    if (!marker) throw new DatabaseUnavailableError('The database connection was lost during a commit');
    const deadline = Date.now() + this.bounds.inDoubtWaitMs;
    const timeout = this.bounds.queryTimeoutMs;
    for (;;) {
      try {
        return await this.withConnection(async (connection) => {
          // The lost session may still be alive on the server (a stalled network, a paused host):
          // end it first, or its COMMIT could land after the answer below. Thread ids start again
          // after a restart, so a server that has clearly restarted since the COMMIT was sent (its
          // uptime, in whole seconds, is shorter than the time since) is left alone: the session died
          // with it. Any doubt goes to ending the session: a wrong KILL fails one other request,
          // which is retried, while a session left alive can commit after the answer is given.
          const [status] = (await sendBatch(connection, [{ sql: "SHOW GLOBAL STATUS LIKE 'Uptime'", params: [] }], timeout)) as Row[][];
          const uptimeMs = Number(status[0]?.Value ?? 0) * 1000;
          const sameServer = lost.config?.host === connection.config?.host && lost.config?.port === connection.config?.port;
          if (sameServer && uptimeMs + 1000 > Date.now() - since && lost.threadId !== connection.threadId) {
            const thread = Number(lost.threadId);
            await sendBatch(connection, [{ sql: `KILL CONNECTION ${thread}`, params: [] }], timeout).catch((error) => {
              // 1094: no such thread (the session ended by itself).
              if ((error as { errno?: number }).errno !== 1094) throw error;
            });
            // KILL returns at once: a session in the middle of its COMMIT may still finish it. The
            // answer below is only sure once the session is gone.
            for (;;) {
              const [threads] = (await sendBatch(connection, [{ sql: 'SELECT ID FROM information_schema.PROCESSLIST WHERE ID = ?', params: [thread] }], timeout)) as Row[][];
              if (threads.length === 0) break;
              if (Date.now() >= deadline) throw new DatabaseUnavailableError('The session of a write in doubt did not end in time');
              await new Promise((resolve) => setTimeout(resolve, 50));
            }
          }
          const [rows] = (await sendBatch(connection, [marker], timeout)) as Row[][];
          return rows.length > 0;
        });
      } catch (error) {
        if (classifyDriverError(error) !== 'unavailable' || Date.now() >= deadline) {
          this.logger.warn('The outcome of a write whose connection was lost during COMMIT is unknown; answered 503');
          throw new DatabaseUnavailableError('The outcome of the write is unknown: the database did not answer in time');
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
  }

  /**
   * Runs read-only statements and returns each one's rows. Several statements see one snapshot of
   * the data and, on MySQL, make a single round trip.
   */
  async select(...statements: Statement[]): Promise<Row[][]> {
    if (this.kind === 'sqlite') return this.watched(() => this.serial(() => new SqliteUnitOfWork(this.dataSource.manager).run(...statements)));
    const timeout = this.bounds.queryTimeoutMs;
    return this.watched(() =>
      this.withConnection(async (connection, discard) => {
        if (statements.length === 1) return (await sendBatch(connection, statements, timeout)) as Row[][];
        try {
          return (await sendBatch(connection, [START_READ_ONLY, ...statements, COMMIT], timeout)).slice(1, -1) as Row[][];
        } catch (error) {
          // A statement failed inside the read-only transaction: end it before the connection is reused.
          await sendBatch(connection, [ROLLBACK], timeout).catch(discard);
          throw error;
        }
      }),
    );
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
    const { columns, head, group } = this.insertShape(target);
    const driver = this.dataSource.driver;
    const params: unknown[] = [];
    for (const row of rows) {
      for (const c of columns) params.push(driver.preparePersistentValue((row as Record<string, unknown>)[c.propertyName] ?? null, c));
    }
    return { sql: rows.length === 1 ? head + group : head + Array(rows.length).fill(group).join(', '), params };
  }

  private readonly insertShapes = new Map<EntityTarget<ObjectLiteral>, { columns: ColumnMetadata[]; head: string; group: string }>();

  /** An entity type's inserted columns and the text of its INSERT, worked out once. */
  private insertShape(target: EntityTarget<ObjectLiteral>): { columns: ColumnMetadata[]; head: string; group: string } {
    let shape = this.insertShapes.get(target);
    if (!shape) {
      const meta = this.metadata(target);
      const columns = meta.columns.filter((c) => !c.isGenerated);
      shape = {
        columns,
        head: `INSERT INTO ${meta.tableName} (${columns.map((c) => c.databaseName).join(', ')}) VALUES `,
        group: `(${columns.map(() => '?').join(', ')})`,
      };
      this.insertShapes.set(target, shape);
    }
    return shape;
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
    const connection = await this.bounded(
      (this.dataSource.driver as MysqlDriver).obtainMasterConnection() as Promise<PooledConnection>,
      (late) => late.release(),
    );
    let usable = true;
    try {
      return await work(connection, () => {
        usable = false;
      });
    } catch (error) {
      // A lost, timed-out or killed connection may still hold a statement: it never serves again.
      if (classifyDriverError(error) === 'unavailable') usable = false;
      throw error;
    } finally {
      if (usable) connection.release();
      else connection.destroy();
    }
  }

  /** A TypeORM query runner on a pooled connection, for `work`; the connection is dropped when it failed. */
  private async withRunner<T>(work: (runner: QueryRunner) => Promise<T>): Promise<T> {
    const runner = this.dataSource.createQueryRunner();
    try {
      await this.bounded(runner.connect() as Promise<unknown>, () => void runner.release());
    } catch (error) {
      await runner.release().catch(() => undefined);
      throw error;
    }
    try {
      return await work(runner);
    } catch (error) {
      if (classifyDriverError(error) === 'unavailable') (runner as unknown as { databaseConnection?: PooledConnection }).databaseConnection?.destroy();
      throw error;
    } finally {
      await runner.release().catch(() => undefined);
    }
  }

  /**
   * Waits at most DATABASE_ACQUIRE_TIMEOUT_MS for a pooled connection; one that arrives later is
   * handed to `late` (released). An exhausted pool is an unavailable database, not a hung request.
   */
  private bounded<C>(acquire: Promise<C>, late: (connection: C) => void): Promise<C> {
    return new Promise<C>((resolve, reject) => {
      let settled = false;
      const timer = setTimeout(() => {
        settled = true;
        reject(new DatabaseUnavailableError('No database connection became free in time'));
      }, this.bounds.acquireTimeoutMs);
      acquire.then(
        (connection) => {
          clearTimeout(timer);
          if (settled) late(connection);
          else resolve(connection);
        },
        (error) => {
          clearTimeout(timer);
          if (!settled) reject(error);
        },
      );
    });
  }

  /**
   * Runs a database operation and keeps the operators informed of outages: one warning when the
   * database stops serving and one line when it serves again (not one per failed request).
   */
  private async watched<T>(operation: () => Promise<T>): Promise<T> {
    try {
      const result = await operation();
      if (this.outage) {
        const { since, failures } = this.outage;
        this.outage = null;
        this.logger.log(`The database serves again after ${Math.round((Date.now() - since) / 1000)} s; ${failures} operations failed meanwhile`);
      }
      return result;
    } catch (error) {
      if (classifyDriverError(error) === 'unavailable') {
        if (this.outage) this.outage.failures++;
        else {
          this.outage = { since: Date.now(), failures: 1 };
          this.logger.warn(`The database does not serve: ${describeDriverError(error)}; requests are answered 503 until it does`);
        }
      }
      throw error;
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
