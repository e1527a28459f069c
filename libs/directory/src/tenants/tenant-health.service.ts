import { Injectable } from '@nestjs/common';
import type { SelectQueryBuilder } from 'typeorm';
import { Database } from '@app/database';
import { ProvisioningEventEntity, type ActorType } from '../events/provisioning-event.entity.js';
import { ScimGroupEntity } from '../groups/scim-group.entity.js';
import { ScimUserEntity } from '../users/scim-user.entity.js';

/** The callers of the SCIM door, as the event log names them. */
const SCIM_ACTORS: ActorType[] = ['scim-token', 'oauth-client'];
const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Recorded SCIM calls of a period (writes and refused calls; reads are not logged) and how many failed. */
export interface CallCounts {
  calls: number;
  failures: number;
}

export interface TenantHealth {
  users: number;
  activeUsers: number;
  groups: number;
  /** The newest SCIM write (reads are not logged). */
  lastProvisioningWriteAt: Date | null;
  /** The newest successful SCIM write. */
  lastSuccessfulWriteAt: Date | null;
  /** SCIM writes in the last 24 hours, and how many of them failed (status 400 and above). */
  writesLast24h: number;
  failuresLast24h: number;
  lastFailureAt: Date | null;
  /** The error detail of the newest failure (for a refused credential: its reason). */
  lastFailureReason: string | null;
  /** Recorded calls (writes and refused calls, aggregated rows by their count) of the last hour and day. */
  lastHour: CallCounts;
  last24h: CallCounts;
}

/**
 * What predicts an Entra quarantine: failing calls (Entra quarantines a job when most calls fail,
 * above all 401s of an expired or revoked credential) and silence (no provisioning call for longer
 * than a cycle). Counts come from SQL on the tenant indexes.
 */
@Injectable()
export class TenantHealthService {
  constructor(private readonly db: Database) {}

  health(tenantId: string, now = new Date()): Promise<TenantHealth> {
    const dayAgo = this.db.dateParam(new Date(now.getTime() - DAY_MS));
    const hourAgo = this.db.dateParam(new Date(now.getTime() - HOUR_MS));
    return this.db.read(async (m) => {
      const users = await m.countBy(ScimUserEntity, { tenantId });
      const activeUsers = await m.countBy(ScimUserEntity, { tenantId, active: true });
      const groups = await m.countBy(ScimGroupEntity, { tenantId });
      const scim = () =>
        m
          .createQueryBuilder(ProvisioningEventEntity, 'e')
          .where('e.tenant_id = :tenantId', { tenantId })
          .andWhere('e.actor_type IN (:...actors)', { actors: SCIM_ACTORS });
      const writes = () => scim().andWhere('e.bucket IS NULL');
      const newest = (qb: SelectQueryBuilder<ProvisioningEventEntity>) => qb.orderBy('e.at', 'DESC').addOrderBy('e.id', 'DESC').limit(1).getOne();
      const last = await newest(writes());
      const lastSuccess = await newest(writes().andWhere('e.status < 400'));
      const writesLast24h = await writes().andWhere('e.at >= :since', { since: dayAgo }).getCount();
      const failuresLast24h = await writes().andWhere('e.at >= :since', { since: dayAgo }).andWhere('e.status >= 400').getCount();
      const lastFailure = await newest(scim().andWhere('e.status >= 400'));
      const counts = async (since: unknown): Promise<CallCounts> => {
        const row = await scim()
          .select('COALESCE(SUM(e.count), 0)', 'calls')
          .addSelect('COALESCE(SUM(CASE WHEN e.status >= 400 THEN e.count ELSE 0 END), 0)', 'failures')
          .andWhere('e.at >= :since', { since })
          .getRawOne<{ calls: unknown; failures: unknown }>();
        return { calls: Number(row?.calls ?? 0), failures: Number(row?.failures ?? 0) };
      };
      return {
        users,
        activeUsers,
        groups,
        lastProvisioningWriteAt: last?.at ?? null,
        lastSuccessfulWriteAt: lastSuccess?.at ?? null,
        writesLast24h,
        failuresLast24h,
        lastFailureAt: lastFailure?.at ?? null,
        lastFailureReason: lastFailure?.detail ?? null,
        lastHour: await counts(hourAgo),
        last24h: await counts(dayAgo),
      };
    });
  }
}
