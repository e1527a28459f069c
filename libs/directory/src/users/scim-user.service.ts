import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import {
  applyPatch,
  normalizeResource,
  parsePatchRequest,
  ScimError,
  USER_RESOURCE,
  type ListQuery,
  type ScimResource,
} from '@app/scim';
import { ScimUserRepository } from './scim-user.repository.js';
import { etag, userData, userResource, type StoredUser } from './user-mapper.js';

/** The SCIM rules for users: validation, matching, PATCH and preconditions. Tenant first, always. */
@Injectable()
export class ScimUserService {
  constructor(
    private readonly users: ScimUserRepository,
    private readonly config: AppConfig,
  ) {}

  async create(tenantId: string, body: unknown): Promise<ScimResource> {
    const resource = normalizeResource(body, USER_RESOURCE);
    const stored = await this.users.create(tenantId, randomUUID(), userData(resource));
    return this.toResource(stored);
  }

  async get(tenantId: string, id: string): Promise<ScimResource> {
    const stored = await this.users.findById(tenantId, id);
    if (!stored) throw notFound(id);
    return this.toResource(stored);
  }

  async list(tenantId: string, query: ListQuery): Promise<{ total: number; resources: ScimResource[] }> {
    const { total, users } = await this.users.list(tenantId, query);
    return { total, resources: users.map((u) => this.toResource(u)) };
  }

  /** PUT: replaces every attribute; an `active` left out keeps its value (Okta sends PUT without it). */
  async replace(tenantId: string, id: string, body: unknown, ifMatch?: string): Promise<ScimResource> {
    const resource = normalizeResource(body, USER_RESOURCE);
    const stored = await this.users.modify(tenantId, id, (current) => {
      checkPrecondition(current, ifMatch);
      if (resource.active === undefined) resource.active = current.user.active;
      return userData(resource);
    });
    if (!stored) throw notFound(id);
    return this.toResource(stored);
  }

  async patch(tenantId: string, id: string, body: unknown, ifMatch?: string): Promise<ScimResource> {
    const operations = parsePatchRequest(body);
    const stored = await this.users.modify(tenantId, id, (current) => {
      checkPrecondition(current, ifMatch);
      const { resource, changed } = applyPatch(this.toResource(current), operations, USER_RESOURCE);
      return changed.length > 0 ? userData(resource) : null;
    });
    if (!stored) throw notFound(id);
    return this.toResource(stored);
  }

  async delete(tenantId: string, id: string, ifMatch?: string): Promise<void> {
    if (ifMatch) {
      const stored = await this.users.findById(tenantId, id);
      if (!stored) throw notFound(id);
      checkPrecondition(stored, ifMatch);
    }
    if (!(await this.users.delete(tenantId, id))) throw notFound(id);
  }

  private toResource(stored: StoredUser): ScimResource {
    return userResource(stored, `${this.config.publicUrl}/scim/v2`);
  }
}

function notFound(id: string): ScimError {
  return ScimError.notFound(`User ${id} not found`);
}

/** If-Match: `*` or a list of entity tags, weak or strong, one of which must be the current version. */
function checkPrecondition(stored: StoredUser, ifMatch: string | undefined): void {
  if (!ifMatch || ifMatch.trim() === '*') return;
  const current = etag(stored.user.version).replace(/^W\//, '');
  const tags = ifMatch.split(',').map((t) => t.trim().replace(/^W\//, ''));
  if (!tags.includes(current)) {
    throw ScimError.preconditionFailed(`The user has changed: its version is ${etag(stored.user.version)}`);
  }
}
