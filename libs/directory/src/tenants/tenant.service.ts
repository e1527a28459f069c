import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { Database, isUniqueViolation } from '@app/database';
import { EventLog, type EventDraft } from '../events/event-log.js';
import { ProvisioningEventEntity } from '../events/provisioning-event.entity.js';
import { ScimGroupEntity, ScimGroupMemberEntity } from '../groups/scim-group.entity.js';
import { ScimUserEmailEntity, ScimUserPhoneNumberEntity } from '../users/multi-valued-row.entity.js';
import { ScimUserEntity } from '../users/scim-user.entity.js';
import { ScimUserExtensionValueEntity, TenantSchemaExtensionEntity } from '../extensions/schema-extension.entity.js';
import { TenantEntity, type TenantStatus } from './tenant.entity.js';

export const TENANT_SLUG_PATTERN = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class TenantError extends Error {
  constructor(
    readonly code: 'invalid' | 'conflict' | 'not_found',
    message: string,
  ) {
    super(message);
    this.name = 'TenantError';
  }
}

/** A tenant as the SCIM door sees it on every call. */
export interface TenantDoor {
  status: TenantStatus | 'deleted';
  scimRateLimitPerSecond: number | null;
}

/** How long a tenant's status is cached for the SCIM door: a suspension reaches every instance within this. */
const STATUS_TTL_MS = 5_000;

@Injectable()
export class TenantService {
  private readonly statusCache = new Map<string, { door: TenantDoor; until: number }>();

  constructor(
    private readonly db: Database,
    private readonly events: EventLog,
  ) {}

  /** Creates a tenant; `event` (an admin's create) is recorded in the same transaction. */
  async create(slug: string, name: string, event?: EventDraft): Promise<TenantEntity> {
    if (!TENANT_SLUG_PATTERN.test(slug)) {
      throw new TenantError('invalid', 'The slug must be 1-64 lower-case letters, digits or hyphens, not starting or ending with a hyphen');
    }
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 200) throw new TenantError('invalid', 'The name must be 1-200 characters');
    const now = new Date();
    const tenant = Object.assign(new TenantEntity(), { id: randomUUID(), slug, name: trimmed, status: 'active', scimRateLimitPerSecond: null, createdAt: now, updatedAt: now });
    try {
      await this.db.transaction(async (m) => {
        await m.insert(TenantEntity, tenant);
        if (event) await this.events.record(m, tenant.id, { ...event, resourceId: tenant.id, changed: ['slug', 'name'] }, 201);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new TenantError('conflict', `A tenant with slug "${slug}" already exists`);
      throw error;
    }
    return tenant;
  }

  findById(id: string): Promise<TenantEntity | null> {
    return this.db.read((m) => m.findOneBy(TenantEntity, { id }));
  }

  /** A tenant by slug or id, as operators type it. */
  async resolve(slugOrId: string): Promise<TenantEntity> {
    const tenant = await this.db.read((m) =>
      m.findOneBy(TenantEntity, UUID_PATTERN.test(slugOrId) ? { id: slugOrId } : { slug: slugOrId }),
    );
    if (!tenant) throw new TenantError('not_found', `No tenant "${slugOrId}"`);
    return tenant;
  }

  /** One page of tenants, by slug; `search` matches slug or name, without regard to case. */
  list(query: { search?: string; status?: TenantStatus; offset: number; limit: number }): Promise<{ total: number; items: TenantEntity[] }> {
    return this.db.read(async (m) => {
      const qb = m.createQueryBuilder(TenantEntity, 't');
      if (query.search) {
        const pattern = `%${query.search.toLowerCase().replace(/[!%_]/g, (c) => `!${c}`)}%`;
        qb.andWhere("(lower(t.name) LIKE :pattern ESCAPE '!' OR t.slug LIKE :pattern ESCAPE '!')", { pattern });
      }
      if (query.status) qb.andWhere('t.status = :status', { status: query.status });
      const [items, total] = await qb.orderBy('t.slug', 'ASC').skip(query.offset).take(query.limit).getManyAndCount();
      return { total, items };
    });
  }

  /** Renames a tenant or changes its slug; `event` is recorded with the changed attributes, or nothing when nothing changed. */
  async update(id: string, changes: { slug?: string; name?: string }, event: EventDraft): Promise<TenantEntity> {
    if (changes.slug !== undefined && !TENANT_SLUG_PATTERN.test(changes.slug)) {
      throw new TenantError('invalid', 'The slug must be 1-64 lower-case letters, digits or hyphens, not starting or ending with a hyphen');
    }
    const name = changes.name?.trim();
    if (name !== undefined && (!name || name.length > 200)) throw new TenantError('invalid', 'The name must be 1-200 characters');
    try {
      return await this.db.transaction(async (m) => {
        const tenant = await this.lockTenant(m, id);
        const values: Partial<TenantEntity> = {};
        if (changes.slug !== undefined && changes.slug !== tenant.slug) values.slug = changes.slug;
        if (name !== undefined && name !== tenant.name) values.name = name;
        const changed = Object.keys(values);
        if (changed.length === 0) return tenant;
        // The event first: when the change then fails (a taken slug), both roll back.
        await this.events.record(m, id, { ...event, resourceId: id, changed });
        values.updatedAt = new Date();
        await m.update(TenantEntity, { id }, values);
        return Object.assign(tenant, values);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new TenantError('conflict', `A tenant with slug "${changes.slug}" already exists`);
      throw error;
    }
  }

  /**
   * Suspends or resumes a tenant. A suspended tenant's SCIM calls get 403 and its admins cannot
   * sign in. Setting the status it already has changes nothing and records nothing.
   */
  async setStatus(id: string, status: TenantStatus, event: EventDraft): Promise<TenantEntity> {
    const tenant = await this.db.transaction(async (m) => {
      const current = await this.lockTenant(m, id);
      if (current.status === status) return current;
      const updatedAt = new Date();
      await m.update(TenantEntity, { id }, { status, updatedAt });
      await this.events.record(m, id, { ...event, resourceId: id, changed: ['status'] });
      return Object.assign(current, { status, updatedAt });
    });
    this.statusCache.delete(id);
    return tenant;
  }

  /**
   * The tenant's status, `deleted` when it no longer exists; cached for a few seconds, as it is
   * asked on every SCIM call (and dropped at once on this instance when it changes).
   */
  async status(id: string): Promise<TenantStatus | 'deleted'> {
    return (await this.door(id)).status;
  }

  /**
   * What the SCIM door needs to know of a tenant on every call: its status and its own rate limit;
   * cached like `status`.
   */
  async door(id: string): Promise<TenantDoor> {
    const now = Date.now();
    const cached = this.statusCache.get(id);
    if (cached && cached.until > now) return cached.door;
    const tenant = await this.db.read((m) =>
      m.findOne(TenantEntity, { select: { id: true, status: true, scimRateLimitPerSecond: true }, where: { id } }),
    );
    const door: TenantDoor = { status: tenant?.status ?? 'deleted', scimRateLimitPerSecond: tenant?.scimRateLimitPerSecond ?? null };
    if (this.statusCache.size >= 10_000) this.statusCache.clear();
    this.statusCache.set(id, { door, until: now + STATUS_TTL_MS });
    return door;
  }

  /**
   * Sets the tenant's own SCIM rate limit (requests per second), or null for the service's default;
   * recorded as `event`. Every instance applies it within the cache period of `door`.
   */
  async setScimRateLimit(id: string, perSecond: number | null, event: EventDraft): Promise<TenantEntity> {
    const tenant = await this.db.transaction(async (m) => {
      const current = await this.lockTenant(m, id);
      if (current.scimRateLimitPerSecond === perSecond) return current;
      const updatedAt = new Date();
      await m.update(TenantEntity, { id }, { scimRateLimitPerSecond: perSecond, updatedAt });
      await this.events.record(m, id, { ...event, resourceId: id, changed: ['scimRateLimitPerSecond'] });
      return Object.assign(current, { scimRateLimitPerSecond: perSecond, updatedAt });
    });
    this.statusCache.delete(id);
    return tenant;
  }

  /**
   * Deletes a tenant with all its data in one transaction. `confirmSlug` must repeat the tenant's
   * slug. `purge` deletes what other libraries keep for the tenant (accounts, clients, tokens), in
   * the same transaction. The tenant's provisioning events go with it.
   */
  async delete(id: string, confirmSlug: string, purge: (manager: EntityManager) => Promise<void>): Promise<TenantEntity> {
    const tenant = await this.db.transaction(async (m) => {
      const tenant = await this.lockTenant(m, id);
      if (confirmSlug !== tenant.slug) throw new TenantError('invalid', 'confirm must repeat the tenant\'s slug');
      await m.delete(ScimGroupMemberEntity, { tenantId: id });
      await m.delete(ScimGroupEntity, { tenantId: id });
      await m.delete(ScimUserEmailEntity, { tenantId: id });
      await m.delete(ScimUserPhoneNumberEntity, { tenantId: id });
      await m.delete(ScimUserExtensionValueEntity, { tenantId: id });
      await m.delete(ScimUserEntity, { tenantId: id });
      await m.delete(TenantSchemaExtensionEntity, { tenantId: id });
      await m.delete(ProvisioningEventEntity, { tenantId: id });
      await purge(m);
      await m.delete(TenantEntity, { id });
      return tenant;
    });
    this.statusCache.delete(id);
    return tenant;
  }

  private async lockTenant(m: EntityManager, id: string): Promise<TenantEntity> {
    const tenant = await m.findOne(TenantEntity, { where: { id }, ...(this.db.kind === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {}) });
    if (!tenant) throw new TenantError('not_found', `No tenant ${id}`);
    return tenant;
  }
}
