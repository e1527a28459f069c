import { Injectable } from '@nestjs/common';
import type { SelectQueryBuilder } from 'typeorm';
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
  /** Events about this userName (attempted or stored), without regard to case. */
  userName?: string;
  /** Events about this externalId (exact, as SCIM compares it). */
  externalId?: string;
}

/** Rows per query of an export or a live stream. */
export const EVENT_BATCH = 1000;

/** Reads of the provisioning event log, newest first; the log itself is append-only. */
@Injectable()
export class ProvisioningEventQuery {
  constructor(private readonly db: Database) {}

  list(tenantId: string, filter: EventFilter, page: { offset: number; limit: number }): Promise<{ total: number; items: ProvisioningEventEntity[] }> {
    return this.db.read(async (m) => {
      const qb = this.filtered(m.createQueryBuilder(ProvisioningEventEntity, 'e'), tenantId, filter);
      const total = await qb.clone().getCount();
      const items = await qb.orderBy('e.at', 'DESC').addOrderBy('e.id', 'DESC').offset(page.offset).limit(page.limit).getMany();
      return { total, items };
    });
  }

  /**
   * Every matching event, oldest first, read in batches by id (keyset on the tenant + id index,
   * one query per batch): an export of a million events never holds more than one batch.
   */
  async *all(tenantId: string, filter: EventFilter): AsyncGenerator<ProvisioningEventEntity[]> {
    for (let after = '0'; ; ) {
      const batch = await this.after(tenantId, after, filter);
      if (batch.length === 0) return;
      yield batch;
      if (batch.length < EVENT_BATCH) return;
      after = String(batch[batch.length - 1].id);
    }
  }

  /** Up to one batch of the tenant's events with an id above `afterId`, oldest first. */
  after(tenantId: string, afterId: string, filter: EventFilter = {}): Promise<ProvisioningEventEntity[]> {
    return this.db.read((m) =>
      this.filtered(m.createQueryBuilder(ProvisioningEventEntity, 'e'), tenantId, filter)
        .andWhere('e.id > :afterId', { afterId })
        .orderBy('e.id', 'ASC')
        .limit(EVENT_BATCH)
        .getMany(),
    );
  }

  /** The id of the tenant's newest event ('0' when it has none): where a live stream starts. */
  async latestId(tenantId: string): Promise<string> {
    const row = await this.db.read((m) =>
      m.createQueryBuilder(ProvisioningEventEntity, 'e').select('MAX(e.id)', 'id').where('e.tenant_id = :tenantId', { tenantId }).getRawOne<{ id: unknown }>(),
    );
    return row?.id === null || row?.id === undefined ? '0' : String(row.id);
  }

  private filtered(qb: SelectQueryBuilder<ProvisioningEventEntity>, tenantId: string, filter: EventFilter) {
    qb.where('e.tenant_id = :tenantId', { tenantId });
    if (filter.from) qb.andWhere('e.at >= :from', { from: this.db.dateParam(filter.from) });
    if (filter.to) qb.andWhere('e.at < :to', { to: this.db.dateParam(filter.to) });
    if (filter.operation) qb.andWhere('e.operation = :operation', { operation: filter.operation });
    if (filter.status !== undefined) qb.andWhere('e.status = :status', { status: filter.status });
    if (filter.failed !== undefined) qb.andWhere(filter.failed ? 'e.status >= 400' : 'e.status < 400');
    if (filter.actorType) qb.andWhere('e.actor_type = :actorType', { actorType: filter.actorType });
    if (filter.resourceType) qb.andWhere('e.resource_type = :resourceType', { resourceType: filter.resourceType });
    if (filter.resourceId) qb.andWhere('e.resource_id = :resourceId', { resourceId: filter.resourceId });
    if (filter.userName) qb.andWhere('e.user_name_key = :userNameKey', { userNameKey: filter.userName.toLowerCase() });
    if (filter.externalId) qb.andWhere('e.external_id = :externalId', { externalId: filter.externalId });
    return qb;
  }
}
