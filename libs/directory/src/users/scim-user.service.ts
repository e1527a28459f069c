import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';
import {
  applyPatch,
  normalizeResource,
  parsePatchRequest,
  PATCH_OP_SCHEMA,
  ScimError,
  type ListQuery,
  type ResourceSchema,
  type ScimResource,
} from '@app/scim';
import { ScimUserRepository } from './scim-user.repository.js';
import type { KeysetPage, KeysetRequest } from '../sql/paging.js';
import { keepStatusWhenUnassigned, userData, userResource, type StoredUser } from './user-mapper.js';
import { checkIfMatch } from '../etag.js';
import { EventLog, subjectOf, type Actor, type EventDraft, type EventSubject } from '../events/event-log.js';
import { changedAttributes } from '../events/changed-attributes.js';
import { SchemaExtensionService, type TenantSchemas } from '../extensions/schema-extension.service.js';

/** The SCIM rules for users: validation, matching, PATCH and preconditions. Tenant first, always. */
@Injectable()
export class ScimUserService {
  constructor(
    private readonly users: ScimUserRepository,
    private readonly events: EventLog,
    private readonly config: AppConfig,
    private readonly extensions: SchemaExtensionService,
  ) {}

  /** The tenant's User resource type: the enterprise extension and the tenant's own extension schemas. */
  async resourceSchema(tenantId: string): Promise<ResourceSchema> {
    return (await this.extensions.forTenant(tenantId)).userResource;
  }

  async create(tenantId: string, body: unknown, actor: Actor): Promise<ScimResource> {
    const event = { ...draft(actor, 'create'), subject: subjectOf(body) };
    return this.events.track(tenantId, event, async () => {
      const schemas = await this.extensions.forTenant(tenantId);
      const ignored: string[] = [];
      const resource = normalizeResource(body, schemas.userResource, ignored);
      event.subject = subjectOfUser(resource);
      const changed = changedAttributes({}, resource);
      const stored = await this.users.create(tenantId, randomUUID(), userData(resource, schemas.extensions), { ...event, changed, ignored });
      return this.toResource(stored, schemas);
    });
  }

  async get(tenantId: string, id: string): Promise<ScimResource> {
    const stored = await this.users.findById(tenantId, id);
    if (!stored) throw notFound(id);
    return this.toResource(stored, await this.extensions.forTenant(tenantId));
  }

  async list(tenantId: string, query: ListQuery): Promise<{ total: number; resources: ScimResource[] }> {
    const schemas = await this.extensions.forTenant(tenantId);
    const { total, users } = await this.users.list(tenantId, query, schemas.userFilter);
    return { total, resources: users.map((u) => this.toResource(u, schemas)) };
  }

  /** One page by keyset, for cursor paging (RFC 9865). */
  async listByKeyset(tenantId: string, query: ListQuery, request: KeysetRequest): Promise<KeysetPage<ScimResource>> {
    const schemas = await this.extensions.forTenant(tenantId);
    const found = await this.users.listByKeyset(tenantId, query, request, schemas.userFilter);
    return { ...found, rows: found.rows.map((u) => this.toResource(u, schemas)) };
  }

  /** PUT: replaces every attribute; an `active` left out keeps its value (Okta sends PUT without it). */
  async replace(tenantId: string, id: string, body: unknown, actor: Actor, ifMatch?: string): Promise<ScimResource> {
    const event = { ...draft(actor, 'replace', id), subject: subjectOf(body) };
    return this.events.track(tenantId, event, async () => {
      const schemas = await this.extensions.forTenant(tenantId);
      const ignored: string[] = [];
      const resource = normalizeResource(body, schemas.userResource, ignored);
      event.subject = subjectOfUser(resource);
      let wrote = false;
      const stored = await this.users.modify(
        tenantId,
        id,
        (current) => {
          checkIfMatch(current.user.version, ifMatch, 'user');
          if (resource.active === undefined) resource.active = current.user.active;
          const changed = changedAttributes(this.toResource(current, schemas), resource);
          wrote = changed.length > 0;
          return wrote ? { data: userData(resource, schemas.extensions), changed } : null;
        },
        { ...event, ignored },
      );
      if (!stored) throw notFound(id);
      if (!wrote && ignored.length > 0) await this.events.recordUnchanged(tenantId, { ...event, resourceId: id, ignored });
      return this.toResource(stored, schemas);
    });
  }

  async patch(tenantId: string, id: string, body: unknown, actor: Actor, ifMatch?: string): Promise<ScimResource> {
    const event = draft(actor, 'patch', id);
    return this.events.track(tenantId, event, async () => {
      let operations: ReturnType<typeof parsePatchRequest>;
      try {
        operations = parsePatchRequest(body);
      } catch (error) {
        // A PATCH that fails is recorded with the user it was for.
        const current = await this.users.findById(tenantId, id);
        if (current) event.subject = subjectOfUser(this.toResource(current, await this.extensions.forTenant(tenantId)));
        throw error;
      }
      const schemas = await this.extensions.forTenant(tenantId);
      // Filled by the change below, before the write's event is queued (the same array).
      const ignored: string[] = [];
      let wrote = false;
      const stored = await this.users.modify(
        tenantId,
        id,
        (current) => {
          const before = this.toResource(current, schemas);
          // A PATCH that fails is recorded with the user it was for.
          event.subject = subjectOfUser(before);
          checkIfMatch(current.user.version, ifMatch, 'user');
          const patched = applyPatch(before, operations, schemas.userResource);
          ignored.splice(0, ignored.length, ...patched.ignored);
          const { resource, changed } = keepStatusWhenUnassigned(patched, current.user.active);
          event.subject = subjectOfUser(resource);
          wrote = changed.length > 0;
          return wrote ? { data: userData(resource, schemas.extensions), changed } : null;
        },
        { ...event, ignored },
      );
      if (!stored) throw notFound(id);
      if (!wrote && ignored.length > 0) await this.events.recordUnchanged(tenantId, { ...event, resourceId: id, ignored });
      return this.toResource(stored, schemas);
    });
  }

  async delete(tenantId: string, id: string, actor: Actor, ifMatch?: string): Promise<void> {
    const event = draft(actor, 'delete', id);
    await this.events.track(tenantId, event, async () => {
      if (ifMatch) {
        const stored = await this.users.findById(tenantId, id);
        if (!stored) throw notFound(id);
        checkIfMatch(stored.user.version, ifMatch, 'user');
      }
      if (!(await this.users.delete(tenantId, id, event))) throw notFound(id);
    });
  }

  /**
   * Sets `active` through the same write path as a SCIM PATCH (support's force-deactivate and
   * reactivate), recorded as `user.deactivate` or `user.reactivate`. A user already in that state
   * stays as it is and nothing is recorded.
   */
  async setActive(tenantId: string, id: string, active: boolean, actor: Actor): Promise<ScimResource> {
    const event = draft(actor, active ? 'user.reactivate' : 'user.deactivate', id);
    const operations = parsePatchRequest({ schemas: [PATCH_OP_SCHEMA], Operations: [{ op: 'replace', path: 'active', value: active }] });
    const schemas = await this.extensions.forTenant(tenantId);
    const stored = await this.users.modify(
      tenantId,
      id,
      (current) => {
        const { resource, changed } = applyPatch(this.toResource(current, schemas), operations, schemas.userResource);
        event.subject = subjectOfUser(resource);
        return changed.length > 0 ? { data: userData(resource, schemas.extensions), changed } : null;
      },
      event,
    );
    if (!stored) throw notFound(id);
    return this.toResource(stored, schemas);
  }

  private toResource(stored: StoredUser, schemas: TenantSchemas): ScimResource {
    return userResource(stored, `${this.config.publicUrl}/scim/v2`, schemas.extensions);
  }
}

function draft(actor: Actor, operation: string, resourceId?: string): EventDraft {
  return { actor, operation, resourceType: 'User', resourceId };
}

function subjectOfUser(resource: ScimResource): EventSubject {
  const text = (value: unknown) => (typeof value === 'string' ? value : null);
  return { userName: text(resource.userName), externalId: text(resource.externalId), displayName: text(resource.displayName) };
}

function notFound(id: string): ScimError {
  return ScimError.notFound(`User ${id} not found`);
}
