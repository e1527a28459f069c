import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Database, isUniqueViolation } from '@app/database';
import { TenantEntity } from './tenant.entity.js';

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

@Injectable()
export class TenantService {
  constructor(private readonly db: Database) {}

  async create(slug: string, name: string): Promise<TenantEntity> {
    if (!TENANT_SLUG_PATTERN.test(slug)) {
      throw new TenantError('invalid', 'The slug must be 1-64 lower-case letters, digits or hyphens, not starting or ending with a hyphen');
    }
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > 200) throw new TenantError('invalid', 'The name must be 1-200 characters');
    const now = new Date();
    const tenant = Object.assign(new TenantEntity(), { id: randomUUID(), slug, name: trimmed, status: 'active', createdAt: now, updatedAt: now });
    try {
      await this.db.transaction((m) => m.insert(TenantEntity, tenant));
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
}
