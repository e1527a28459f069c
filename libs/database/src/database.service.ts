import { Injectable } from '@nestjs/common';
import { DataSource, type EntityManager } from 'typeorm';

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

  /** Runs `work` in a transaction; a MySQL deadlock or lock timeout is retried twice before it surfaces. */
  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.serial(() => this.dataSource.transaction(work));
      } catch (error) {
        if (attempt >= 3 || !isTransient(error)) throw error;
      }
    }
  }

  read<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.serial(() => work(this.dataSource.manager));
  }

  /** A date as the driver binds it in raw conditions: better-sqlite3 stores UTC text, mysql2 binds Date. */
  dateParam(date: Date): unknown {
    return this.kind === 'sqlite' ? date.toISOString().replace('T', ' ').replace('Z', '') : date;
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
  const e = error as { code?: string; errno?: number; driverError?: { code?: string; errno?: number } };
  const code = e?.driverError?.code ?? e?.code;
  const errno = e?.driverError?.errno ?? e?.errno;
  return code === 'ER_DUP_ENTRY' || errno === 1062 || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

function isTransient(error: unknown): boolean {
  const e = error as { errno?: number; driverError?: { errno?: number } };
  const errno = e?.driverError?.errno ?? e?.errno;
  return errno === 1213 || errno === 1205;
}
