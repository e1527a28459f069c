import type { Database } from '@app/database';
import { AuthFailureLog, type AuthFailure } from './auth-failure-log.js';

/** A database that records each upsert's count and bucket, and takes `delayMs` per transaction. */
function recordingDatabase(delayMs: number) {
  const upserts: { bucket: unknown; count: unknown; sql: string }[] = [];
  let transactions = 0;
  const db = {
    kind: 'sqlite',
    insertStatement: (_target: unknown, rows: Record<string, unknown>[]) => ({ sql: 'INSERT INTO provisioning_events (…) VALUES (…)', params: [rows[0].bucket, rows[0].count] }),
    transaction: async (work: (m: unknown) => Promise<unknown>) => {
      transactions++;
      await new Promise((resolve) => setTimeout(resolve, delayMs));
      return work({ query: async (sql: string, params: unknown[]) => upserts.push({ sql, bucket: params[0], count: params[1] }) });
    },
  };
  return { db: db as unknown as Database, upserts, transactions: () => transactions };
}

const failure: AuthFailure = { reason: 'scim-token-revoked', actor: { type: 'scim-token', id: 'token-1' }, status: 401 };

describe('AuthFailureLog', () => {
  it('coalesces concurrent failures: every call is counted, in few writes, one upsert per tenant, reason and minute', async () => {
    const { db, upserts, transactions } = recordingDatabase(5);
    const log = new AuthFailureLog(db);
    const at = new Date('2026-11-30T04:00:10Z');
    await Promise.all(Array.from({ length: 1000 }, () => log.count('tenant-a', failure, at)));
    expect(transactions()).toBeLessThanOrEqual(2);
    expect(upserts.reduce((sum, u) => sum + Number(u.count), 0)).toBe(1000);
    expect(new Set(upserts.map((u) => u.bucket))).toEqual(new Set(['auth:scim-token-revoked:2026-11-30T04:00']));
    expect(upserts[0].sql).toMatch(/ON CONFLICT \(tenant_id, bucket\) DO UPDATE SET count = count \+ excluded\.count/);
  });

  it('resolves each call once its count is written, and keeps reasons and minutes apart', async () => {
    const { db, upserts } = recordingDatabase(1);
    const log = new AuthFailureLog(db);
    await log.count('tenant-a', failure, new Date('2026-11-30T04:00:59Z'));
    expect(upserts).toHaveLength(1);
    await Promise.all([
      log.count('tenant-a', failure, new Date('2026-11-30T04:01:00Z')),
      log.count('tenant-a', { ...failure, reason: 'tenant-suspended', status: 403 }, new Date('2026-11-30T04:01:00Z')),
      log.count('tenant-b', failure, new Date('2026-11-30T04:01:00Z')),
    ]);
    expect(upserts.map((u) => u.bucket)).toEqual([
      'auth:scim-token-revoked:2026-11-30T04:00',
      'auth:scim-token-revoked:2026-11-30T04:01',
      'auth:tenant-suspended:2026-11-30T04:01',
      'auth:scim-token-revoked:2026-11-30T04:01',
    ]);
  });

  it('never throws when the write fails', async () => {
    const db = { kind: 'mysql', insertStatement: () => ({ sql: '', params: [] }), transaction: async () => Promise.reject(new Error('down')) };
    await expect(new AuthFailureLog(db as unknown as Database).count('tenant-a', failure)).resolves.toBeUndefined();
  });
});
