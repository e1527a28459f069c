import { QueryFailedError, type EntityManager } from 'typeorm';

/** One SQL statement and its `?` parameters. */
export interface Statement {
  readonly sql: string;
  readonly params: readonly unknown[];
}

export type Row = Record<string, unknown>;

/**
 * A transaction whose statements travel in as few round trips as possible. A write whose outcome the
 * caller does not need is queued: it goes with the next `run`, or with the COMMIT. On MySQL each
 * send is one multi-statement query, so a create (START, four INSERTs, COMMIT) is one round trip and
 * a read-modify-write is two (Galera: one round trip per statement, see `MysqlUnitOfWork`).
 * Statements always run in the order they were given.
 */
export interface UnitOfWork {
  /** Queues a statement whose result is not needed. */
  queue(statement: Statement): void;
  /** Sends the queued statements and then these; returns the rows of each of these. */
  run(...statements: Statement[]): Promise<Row[][]>;
  /**
   * Names a read that returns a row when, and only when, this unit's writes are committed. If the
   * connection is lost during the COMMIT, the service asks it (on another connection) instead of
   * reporting a write as failed that in fact succeeded.
   */
  markCommitWith(statement: Statement): void;
}

/** The part of a mysql2 connection the unit of work uses (callback API: no promise wrapper per query). */
export interface MysqlConnection {
  query(options: { sql: string; values: unknown[]; timeout?: number }, callback: (error: Error | null, result: unknown) => void): void;
}

/**
 * Runs statements as one multi-statement query; the result of each, in order. A failure is
 * TypeORM's QueryFailedError, as from any other query: it keeps the SQL text with its placeholders
 * (mysql2's own error carries the text with the values filled in, which must never be logged).
 * Past `timeoutMs` the query fails with PROTOCOL_SEQUENCE_TIMEOUT (an unavailable database: the
 * caller drops the connection).
 */
export function sendBatch(connection: MysqlConnection, statements: readonly Statement[], timeoutMs?: number): Promise<unknown[]> {
  const sql = statements.map((s) => s.sql).join(';\n');
  const values = statements.flatMap((s) => s.params);
  return new Promise((resolve, reject) =>
    connection.query({ sql, values, timeout: timeoutMs }, (error, result) => {
      if (error) reject(new QueryFailedError(sql, values, error));
      // mysql2 answers a single statement with its result, several with an array of results.
      else resolve(statements.length === 1 ? [result] : (result as unknown[]));
    }),
  );
}

const bare = (sql: string): Statement => ({ sql, params: [] });
const START = bare('START TRANSACTION');
export const START_READ_ONLY = bare('START TRANSACTION READ ONLY');
export const COMMIT = bare('COMMIT');
export const ROLLBACK = bare('ROLLBACK');

/**
 * How a unit's statements may travel on a MySQL connection.
 * - `batch`: one multi-statement query per send. MySQL and MariaDB stop a multi-statement query at
 *   its first error, and every way the engine aborts a transaction (deadlock victim, lock wait
 *   timeout, KILL, lost connection) is an error of the statement it interrupts, so nothing after an
 *   abort runs and the unit stays atomic.
 * - `single`: one statement per round trip. Galera aborts a transaction from outside when a
 *   conflicting write from another node commits first (a brute-force abort) without failing the
 *   statements of the multi-statement query in flight: the ones after the abort run on in
 *   autocommit and report success, and even `SET autocommit=0` does not stop them from committing.
 *   Sent one at a time, the first statement after the abort fails with 1213 and nothing commits.
 */
export type Batching = 'batch' | 'single';

/** MySQL: the transaction starts with the first send and ends with the last. */
export class MysqlUnitOfWork implements UnitOfWork {
  private pending: Statement[] = [];
  private started = false;
  commitMarker?: Statement;
  /** The COMMIT left for the server: from then on, a lost connection leaves the outcome unknown. */
  commitSent = false;

  constructor(
    private readonly connection: MysqlConnection,
    private readonly batching: Batching = 'batch',
    private readonly timeoutMs?: number,
  ) {}

  queue(statement: Statement): void {
    this.pending.push(statement);
  }

  markCommitWith(statement: Statement): void {
    this.commitMarker = statement;
  }

  async run(...statements: Statement[]): Promise<Row[][]> {
    const results = await this.send([...this.pending.splice(0), ...statements]);
    return results.slice(results.length - statements.length) as Row[][];
  }

  async commit(): Promise<void> {
    if (!this.started && this.pending.length === 0) return;
    await this.send([...this.pending.splice(0), COMMIT]);
    this.started = false;
  }

  /** Ends a failed unit of work; a no-op when nothing was sent. */
  async rollback(): Promise<void> {
    this.pending = [];
    if (!this.started) return;
    this.started = false;
    await sendBatch(this.connection, [ROLLBACK], this.timeoutMs);
  }

  private async send(statements: Statement[]): Promise<unknown[]> {
    if (!this.started) {
      statements.unshift(START);
      this.started = true;
    }
    if (this.batching === 'batch') {
      if (statements.includes(COMMIT)) this.commitSent = true;
      return sendBatch(this.connection, statements, this.timeoutMs);
    }
    const results: unknown[] = [];
    for (const statement of statements) {
      if (statement === COMMIT) this.commitSent = true;
      results.push(...(await sendBatch(this.connection, [statement], this.timeoutMs)));
    }
    return results;
  }
}

/**
 * SQLite runs in-process, so there is nothing to save by batching: each statement runs in turn
 * inside the TypeORM transaction that `Database` opens around the unit of work.
 */
export class SqliteUnitOfWork implements UnitOfWork {
  private pending: Statement[] = [];

  constructor(private readonly manager: EntityManager) {}

  queue(statement: Statement): void {
    this.pending.push(statement);
  }

  /** SQLite runs in-process: a COMMIT is never in doubt. */
  markCommitWith(): void {}

  async run(...statements: Statement[]): Promise<Row[][]> {
    await this.flush();
    const results: Row[][] = [];
    for (const s of statements) results.push(await this.manager.query(s.sql, [...s.params]));
    return results;
  }

  async flush(): Promise<void> {
    for (const s of this.pending.splice(0)) await this.manager.query(s.sql, [...s.params]);
  }
}
