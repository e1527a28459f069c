import { Injectable, Logger } from '@nestjs/common';
import { Database, describeFailure } from '@app/database';
import { ProvisioningEventEntity } from './provisioning-event.entity.js';
import type { Actor } from './event-log.js';

/** Why a call with a credential of a known tenant was refused. */
export type AuthFailureReason =
  | 'scim-token-expired'
  | 'scim-token-revoked'
  | 'oauth-token-expired'
  | 'oauth-token-revoked'
  | 'oauth-token-wrong-audience'
  | 'oauth-authorizer-disabled'
  | 'tenant-suspended';

const DESCRIPTION: Record<AuthFailureReason, string> = {
  'scim-token-expired': 'The SCIM token has expired: issue a new one and update it in Entra',
  'scim-token-revoked': 'The SCIM token was revoked: issue a new one and update it in Entra',
  'oauth-token-expired': 'The OAuth access token has expired: the client must refresh it (or Authorize again)',
  'oauth-token-revoked': 'The OAuth access token was revoked (its grant was revoked or replaced by a new Authorize): the client must Authorize again or use its newer token',
  'oauth-token-wrong-audience': 'The OAuth access token was not issued for the SCIM API',
  'oauth-authorizer-disabled': 'The admin who authorized the OAuth client is disabled: enable the admin, or another admin must Authorize again',
  'tenant-suspended': 'The tenant is suspended',
};

export interface AuthFailure {
  reason: AuthFailureReason;
  /** The credential that was refused (its id, never the token). */
  actor: Actor;
  /** What the caller got: 401, or 403 for a suspended tenant. */
  status: number;
}

interface PendingCount {
  /** Tenant and bucket. */
  key: string;
  row: Partial<ProvisioningEventEntity>;
  count: number;
  /** The bucket's minute: a counter row's `at` is always within it. */
  minute: Date;
}

const MINUTE_MS = 60_000;
/** Counter rows this instance inserted, remembered by their id (a bounded memory: forgetting one costs one range UPDATE). */
const MAX_KNOWN_ROWS = 1000;

/** The provisioning-event operation of a counter of authentication failures. */
export const AUTH_FAILURE_OPERATION = 'auth.failure';

/**
 * Counts authentication failures that can be attributed to a tenant, in its provisioning events: one
 * row per tenant, reason and minute, whose `count` grows. The row is found by its tenant and minute
 * (the tenant + `at` index every event has) and its bucket, and inserted when there is none yet: no
 * unique index on the bucket, which every provisioning event would pay for. Concurrent failures are
 * coalesced: at most one write is under way, and it carries every failure counted while the
 * previous one ran, so a flood of bad calls costs a bounded number of rows and few writes. `count`
 * resolves once the failure is stored; it never throws.
 */
@Injectable()
export class AuthFailureLog {
  private readonly logger = new Logger('AuthFailureLog');
  private pending = new Map<string, PendingCount>();
  private chain: Promise<void> = Promise.resolve();
  private scheduled: Promise<void> | null = null;
  /** The id of the counter row this instance inserted, by tenant and bucket. */
  private readonly rowIds = new Map<string, string>();

  constructor(private readonly db: Database) {}

  count(tenantId: string, failure: AuthFailure, now = new Date()): Promise<void> {
    const minute = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS);
    const bucket = `auth:${failure.reason}:${minute.toISOString().slice(0, 16)}`;
    const key = `${tenantId} ${bucket}`;
    let entry = this.pending.get(key);
    if (!entry) {
      entry = {
        key,
        count: 0,
        minute,
        row: {
          tenantId,
          at: now,
          actorType: failure.actor.type,
          actorId: failure.actor.id?.slice(0, 64) ?? null,
          operation: AUTH_FAILURE_OPERATION,
          resourceType: 'Request',
          resourceId: null,
          status: failure.status,
          requestId: failure.actor.requestId?.slice(0, 128) ?? null,
          changedAttributes: null,
          detail: `${failure.reason}: ${DESCRIPTION[failure.reason]}`,
          userName: null,
          userNameKey: null,
          externalId: null,
          displayName: null,
          bucket,
        },
      };
      this.pending.set(key, entry);
    }
    entry.count++;
    entry.row.at = now;
    return this.flush();
  }

  /** The next write, which takes every count pending when it starts; joined by callers until then. */
  private flush(): Promise<void> {
    if (this.scheduled) return this.scheduled;
    const run = this.chain.then(() => {
      this.scheduled = null;
      const batch = [...this.pending.values()];
      this.pending = new Map();
      return this.write(batch);
    });
    this.scheduled = run;
    this.chain = run;
    return run;
  }

  /**
   * Adds each pending count to its row, or inserts the row when there is none yet. A row this
   * instance inserted is updated by its id, which locks that row alone. Otherwise the row is looked
   * for by its tenant, minute and bucket (the tenant + `at` index every event has): that range read
   * also locks the tenant's newest stretch of the index against other event inserts until this short
   * transaction ends, so it is done once per bucket, not on every write of a flood.
   *
   * The writes of this instance are serialised (`chain`), so it never inserts a bucket's row twice;
   * two instances counting the same new bucket at once may each insert one, which is harmless: the
   * bucket then has two rows whose counts add up to its calls (health sums `count`; the event list
   * shows both rows).
   */
  private async write(batch: PendingCount[]): Promise<void> {
    const inserted: [string, string][] = [];
    try {
      await this.db.transaction(async (m) => {
        inserted.length = 0;
        for (const { key, row, count, minute } of batch) {
          const at = this.db.dateParam(row.at!);
          const id = this.rowIds.get(key);
          // The query runner's structured result: `affected` from mysql2's affectedRows or better-sqlite3's changes.
          const updated =
            id !== undefined
              ? await m.queryRunner!.query('UPDATE provisioning_events SET count = count + ?, at = ? WHERE id = ?', [count, at, id], true)
              : await m.queryRunner!.query(
                  'UPDATE provisioning_events SET count = count + ?, at = ? WHERE tenant_id = ? AND at >= ? AND at < ? AND bucket = ?',
                  [count, at, row.tenantId, this.db.dateParam(minute), this.db.dateParam(new Date(minute.getTime() + MINUTE_MS)), row.bucket],
                  true,
                );
          if (updated.affected) continue;
          const insert = this.db.insertStatement(ProvisioningEventEntity, [{ ...row, count }])!;
          const result = await m.queryRunner!.query(insert.sql, [...insert.params], true);
          // The new row's id: mysql2's insertId, better-sqlite3's lastInsertRowid.
          inserted.push([key, String(this.db.kind === 'mysql' ? (result.raw as { insertId: unknown }).insertId : result.raw)]);
        }
      });
      if (this.rowIds.size + inserted.length > MAX_KNOWN_ROWS) this.rowIds.clear();
      for (const [key, id] of inserted) this.rowIds.set(key, id);
    } catch (error) {
      this.logger.warn(`Could not count ${batch.length} authentication failure(s): ${describeFailure(error)}`);
    }
  }
}
