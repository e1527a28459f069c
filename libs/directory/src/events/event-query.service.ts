import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { ProvisioningEventEntity, type ActorType } from './provisioning-event.entity.js';

export interface EventFilter {
  /** Events at or after this time. */
  from?: Date;
  /** Events before this time. */
  to?: Date;
  operation?: string;
  status?: number;
  /** Only failed writes (status 400 and above), or only successful ones. */
  failed?: boolean;
  actorType?: ActorType;
  resourceType?: string;
  resourceId?: string;
}

/** Reads of the provisioning event log, newest first; the log itself is append-only. */
@Injectable()
export class ProvisioningEventQuery {
  constructor(private readonly db: Database) {}

  list(tenantId: string, filter: EventFilter, page: { offset: number; limit: number }): Promise<{ total: number; items: ProvisioningEventEntity[] }> {
    return this.db.read(async (m) => {
      const qb = m.createQueryBuilder(ProvisioningEventEntity, 'e').where('e.tenant_id = :tenantId', { tenantId });
      if (filter.from) qb.andWhere('e.at >= :from', { from: this.db.dateParam(filter.from) });
      if (filter.to) qb.andWhere('e.at < :to', { to: this.db.dateParam(filter.to) });
      if (filter.operation) qb.andWhere('e.operation = :operation', { operation: filter.operation });
      if (filter.status !== undefined) qb.andWhere('e.status = :status', { status: filter.status });
      if (filter.failed !== undefined) qb.andWhere(filter.failed ? 'e.status >= 400' : 'e.status < 400');
      if (filter.actorType) qb.andWhere('e.actor_type = :actorType', { actorType: filter.actorType });
      if (filter.resourceType) qb.andWhere('e.resource_type = :resourceType', { resourceType: filter.resourceType });
      if (filter.resourceId) qb.andWhere('e.resource_id = :resourceId', { resourceId: filter.resourceId });
      const total = await qb.clone().getCount();
      const items = await qb.orderBy('e.at', 'DESC').addOrderBy('e.id', 'DESC').offset(page.offset).limit(page.limit).getMany();
      return { total, items };
    });
  }
}
