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
  row: Partial<ProvisioningEventEntity>;
  count: number;
  /** The bucket's minute: a counter row's `at` is always within it. */
  minute: Date;
}

const MINUTE_MS = 60_000;

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

  constructor(private readonly db: Database) {}

  count(tenantId: string, failure: AuthFailure, now = new Date()): Promise<void> {
    const minute = new Date(Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS);
    const bucket = `auth:${failure.reason}:${minute.toISOString().slice(0, 16)}`;
    const key = `${tenantId} ${bucket}`;
    let entry = this.pending.get(key);
    if (!entry) {
      entry = {
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
   * Adds each pending count to its row: an UPDATE of the row of its tenant, minute and bucket, or an
   * INSERT when there is none yet. The writes of this instance are serialised (`chain`), so it never
   * inserts a bucket's row twice; two instances counting the same new bucket at once may each insert
   * one, which is harmless: the bucket then has two rows whose counts add up to its calls (health
   * sums `count`; the event list shows both rows).
   */
  private async write(batch: PendingCount[]): Promise<void> {
    try {
      await this.db.transaction(async (m) => {
        for (const { row, count, minute } of batch) {
          const at = this.db.dateParam(row.at!);
          const from = this.db.dateParam(minute);
          const to = this.db.dateParam(new Date(minute.getTime() + MINUTE_MS));
          // The query runner's structured result: `affected` from mysql2's affectedRows or better-sqlite3's changes.
          const updated = await m.queryRunner!.query(
            'UPDATE provisioning_events SET count = count + ?, at = ? WHERE tenant_id = ? AND at >= ? AND at < ? AND bucket = ?',
            [count, at, row.tenantId, from, to, row.bucket],
            true,
          );
          if (updated.affected) continue;
          const insert = this.db.insertStatement(ProvisioningEventEntity, [{ ...row, count }])!;
          await m.query(insert.sql, [...insert.params]);
        }
      });
    } catch (error) {
      this.logger.warn(`Could not count ${batch.length} authentication failure(s): ${describeFailure(error)}`);
    }
  }
}
