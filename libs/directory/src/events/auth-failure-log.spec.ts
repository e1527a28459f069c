import type { Database } from '@app/database';
import { AuthFailureLog, type AuthFailure } from './auth-failure-log.js';

interface CounterRow {
  tenantId: unknown;
  bucket: unknown;
  at: unknown;
  count: number;
}

/**
 * A database holding counter rows (the n-th inserted has id n), which answers the counter's UPDATE by
 * id or by tenant, `at` range and bucket (with the affected-row count as TypeORM's structured result)
 * and its INSERT (with the new row's id, as better-sqlite3's lastInsertRowid), records every
 * statement, and takes `delayMs` per transaction. Dates are bound as on SQLite.
 */
function recordingDatabase(delayMs: number) {
  const rows: CounterRow[] = [];
  const statements: { sql: string; params: unknown[] }[] = [];
  let transactions = 0;
  const update = (found: CounterRow[], count: number, at: unknown) => {
    for (const r of found) Object.assign(r, { count: r.count + count, at });
    return { affected: found.length };
  };
  const manager = {
    queryRunner: {
      query: async (sql: string, params: unknown[], structured?: boolean) => {
        statements.push({ sql, params });
        expect(structured).toBe(true);
        if (sql.startsWith('INSERT')) {
          const [tenantId, bucket, at, count] = params;
          rows.push({ tenantId, bucket, at, count: Number(count) });
          return { raw: rows.length, affected: 1 };
        }
        if (sql.endsWith('WHERE id = ?')) {
          const [count, at, id] = params as [number, string, string];
          return update(rows.filter((_, index) => String(index + 1) === id), count, at);
        }
        const [count, at, tenantId, from, to, bucket] = params as [number, string, string, string, string, string];
        return update(rows.filter((r) => r.tenantId === tenantId && String(r.at) >= from && String(r.at) < to && r.bucket === bucket), count, at);
      },
    },
  };
  const db = {
    kind: 'sqlite',
    dateParam: (date: Date) => date.toISOString().replace('T', ' ').replace('Z', ''),
    insertStatement: (_target: unknown, [row]: Record<string, unknown>[]) => ({
      sql: 'INSERT INTO provisioning_events (…) VALUES (…)',
      params: [row.tenantId, row.bucket, db.dateParam(row.at as Date), row.count],
    }),
    transaction: async (work: (m: unknown) => Promise<unknown>) => {
      transactions++;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return work(manager);
    },
  };
  const inserts = () => statements.filter((s) => s.sql.startsWith('INSERT'));
  return { db: db as unknown as Database, rows, statements, inserts, transactions: () => transactions };
}

const failure: AuthFailure = { reason: 'scim-token-revoked', actor: { type: 'scim-token', id: 'token-1' }, status: 401 };

describe('AuthFailureLog', () => {
  it('coalesces concurrent failures: every call is counted, in few writes, in one row per tenant, reason and minute', async () => {
    const { db, rows, inserts, transactions } = recordingDatabase(5);
    const log = new AuthFailureLog(db);
    const at = new Date('2026-11-30T04:00:10Z');
    await Promise.all(Array.from({ length: 1000 }, () => log.count('tenant-a', failure, at)));
    expect(transactions()).toBeLessThanOrEqual(2);
    expect(inserts()).toHaveLength(1);
    expect(rows).toEqual([{ tenantId: 'tenant-a', bucket: 'auth:scim-token-revoked:2026-11-30T04:00', at: '2026-11-30 04:00:10.000', count: 1000 }]);
  });

  it("adds a later count of the same minute to the bucket's row, by the id of the row it inserted", async () => {
    const { db, rows, statements, inserts } = recordingDatabase(0);
    const log = new AuthFailureLog(db);
    await log.count('tenant-a', failure, new Date('2026-11-30T04:00:00Z'));
    await log.count('tenant-a', failure, new Date('2026-11-30T04:00:30.250Z'));
    await log.count('tenant-a', failure, new Date('2026-11-30T04:00:59.999Z'));
    expect(inserts()).toHaveLength(1);
    expect(rows).toEqual([{ tenantId: 'tenant-a', bucket: 'auth:scim-token-revoked:2026-11-30T04:00', at: '2026-11-30 04:00:59.999', count: 3 }]);
    expect(statements.at(-1)).toEqual({ sql: 'UPDATE provisioning_events SET count = count + ?, at = ? WHERE id = ?', params: [1, '2026-11-30 04:00:59.999', '1'] });
  });

  it("finds a bucket's row it did not insert (another instance's) by tenant, the minute's range of `at` and bucket", async () => {
    const { db, rows, statements, inserts } = recordingDatabase(0);
    await new AuthFailureLog(db).count('tenant-a', failure, new Date('2026-11-30T04:00:00Z'));
    await new AuthFailureLog(db).count('tenant-a', failure, new Date('2026-11-30T04:00:59.999Z'));
    expect(inserts()).toHaveLength(1);
    expect(rows).toEqual([{ tenantId: 'tenant-a', bucket: 'auth:scim-token-revoked:2026-11-30T04:00', at: '2026-11-30 04:00:59.999', count: 2 }]);
    const update = statements.at(-1)!;
    expect(update.sql).toBe('UPDATE provisioning_events SET count = count + ?, at = ? WHERE tenant_id = ? AND at >= ? AND at < ? AND bucket = ?');
    expect(update.params).toEqual([1, '2026-11-30 04:00:59.999', 'tenant-a', '2026-11-30 04:00:00.000', '2026-11-30 04:01:00.000', 'auth:scim-token-revoked:2026-11-30T04:00']);
  });

  it('resolves each call once its count is written, and keeps reasons and minutes apart', async () => {
    const { db, rows } = recordingDatabase(1);
    const log = new AuthFailureLog(db);
    await log.count('tenant-a', failure, new Date('2026-11-30T04:00:59Z'));
    expect(rows).toHaveLength(1);
    await Promise.all([
      log.count('tenant-a', failure, new Date('2026-11-30T04:01:00Z')),
      log.count('tenant-a', { ...failure, reason: 'tenant-suspended', status: 403 }, new Date('2026-11-30T04:01:00Z')),
      log.count('tenant-b', failure, new Date('2026-11-30T04:01:00Z')),
    ]);
    expect(rows.map((r) => [r.tenantId, r.bucket, r.count])).toEqual([
      ['tenant-a', 'auth:scim-token-revoked:2026-11-30T04:00', 1],
      ['tenant-a', 'auth:scim-token-revoked:2026-11-30T04:01', 1],
      ['tenant-a', 'auth:tenant-suspended:2026-11-30T04:01', 1],
      ['tenant-b', 'auth:scim-token-revoked:2026-11-30T04:01', 1],
    ]);
  });

  it('never throws when the write fails', async () => {
    const db = { kind: 'mysql', dateParam: (d: Date) => d, insertStatement: () => ({ sql: '', params: [] }), transaction: async () => Promise.reject(new Error('down')) };
    await expect(new AuthFailureLog(db as unknown as Database).count('tenant-a', failure)).resolves.toBeUndefined();
  });
});
