import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { ProvisioningEventEntity, type ActorType } from '../events/provisioning-event.entity.js';
import { ScimGroupEntity } from '../groups/scim-group.entity.js';
import { ScimUserEntity } from '../users/scim-user.entity.js';

/** The callers of the SCIM door, as the event log names them. */
const SCIM_ACTORS: ActorType[] = ['scim-token', 'oauth-client'];
const DAY_MS = 86_400_000;

export interface TenantHealth {
  users: number;
  activeUsers: number;
  groups: number;
  /** The newest SCIM write (reads are not logged). */
  lastProvisioningWriteAt: Date | null;
  /** SCIM writes in the last 24 hours, and how many of them failed (status 400 and above). */
  writesLast24h: number;
  failuresLast24h: number;
  lastFailureAt: Date | null;
}

/**
 * What predicts an Entra quarantine: failing calls (Entra quarantines a job when most calls fail) and
 * silence (no provisioning call for longer than a cycle). Counts come from SQL on the tenant indexes.
 */
@Injectable()
export class TenantHealthService {
  constructor(private readonly db: Database) {}

  health(tenantId: string, now = new Date()): Promise<TenantHealth> {
    const since = this.db.dateParam(new Date(now.getTime() - DAY_MS));
    return this.db.read(async (m) => {
      const users = await m.countBy(ScimUserEntity, { tenantId });
      const activeUsers = await m.countBy(ScimUserEntity, { tenantId, active: true });
      const groups = await m.countBy(ScimGroupEntity, { tenantId });
      const scim = () =>
        m
          .createQueryBuilder(ProvisioningEventEntity, 'e')
          .where('e.tenant_id = :tenantId', { tenantId })
          .andWhere('e.actor_type IN (:...actors)', { actors: SCIM_ACTORS });
      const last = await scim().orderBy('e.at', 'DESC').addOrderBy('e.id', 'DESC').limit(1).getOne();
      const writesLast24h = await scim().andWhere('e.at >= :since', { since }).getCount();
      const failuresLast24h = await scim().andWhere('e.at >= :since', { since }).andWhere('e.status >= 400').getCount();
      const lastFailure = await scim().andWhere('e.status >= 400').orderBy('e.at', 'DESC').addOrderBy('e.id', 'DESC').limit(1).getOne();
      return {
        users,
        activeUsers,
        groups,
        lastProvisioningWriteAt: last?.at ?? null,
        writesLast24h,
        failuresLast24h,
        lastFailureAt: lastFailure?.at ?? null,
      };
    });
  }
}
