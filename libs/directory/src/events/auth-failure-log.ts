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
}

/** The provisioning-event operation of a counter of authentication failures. */
export const AUTH_FAILURE_OPERATION = 'auth.failure';

/**
 * Counts authentication failures that can be attributed to a tenant, in its provisioning events: one
 * row per tenant, reason and minute, whose `count` grows (an upsert on the unique tenant + bucket).
 * Concurrent failures are coalesced: at most one write is under way, and it carries every failure
 * counted while the previous one ran, so a flood of bad calls costs a bounded number of rows and
 * few writes. `count` resolves once the failure is stored; it never throws.
 */
@Injectable()
export class AuthFailureLog {
  private readonly logger = new Logger('AuthFailureLog');
  private pending = new Map<string, PendingCount>();
  private chain: Promise<void> = Promise.resolve();
  private scheduled: Promise<void> | null = null;

  constructor(private readonly db: Database) {}

  count(tenantId: string, failure: AuthFailure, now = new Date()): Promise<void> {
    const bucket = `auth:${failure.reason}:${now.toISOString().slice(0, 16)}`;
    const key = `${tenantId} ${bucket}`;
    let entry = this.pending.get(key);
    if (!entry) {
      entry = {
        count: 0,
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

  private async write(batch: PendingCount[]): Promise<void> {
    try {
      await this.db.transaction(async (m) => {
        for (const { row, count } of batch) {
          const insert = this.db.insertStatement(ProvisioningEventEntity, [{ ...row, count }])!;
          const upsert =
            this.db.kind === 'mysql'
              ? ' ON DUPLICATE KEY UPDATE count = count + VALUES(count), at = VALUES(at)'
              : ' ON CONFLICT (tenant_id, bucket) DO UPDATE SET count = count + excluded.count, at = excluded.at';
          await m.query(insert.sql + upsert, [...insert.params]);
        }
      });
    } catch (error) {
      this.logger.warn(`Could not count ${batch.length} authentication failure(s): ${describeFailure(error)}`);
    }
  }
}
