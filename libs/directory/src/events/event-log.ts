import { Injectable, Logger } from '@nestjs/common';
import { LessThan, type EntityManager } from 'typeorm';
import { Database, describeDatabaseError, type Statement } from '@app/database';
import { ScimError } from '@app/scim';
import { ProvisioningEventEntity, type ActorType } from './provisioning-event.entity.js';

/** Who is writing, as the event log records it. */
export interface Actor {
  type: ActorType;
  id: string | null;
  /** Entra's `client-request-id`, or the service's own request id. */
  requestId?: string;
}

/** What a write is about; the repository adds the resource id and the changed attributes. */
export interface EventDraft {
  actor: Actor;
  operation: string;
  resourceType: string;
  resourceId?: string | null;
  changed?: string[];
  /** Attributes the request sent that no schema defines: dropped, and named here for support. */
  ignored?: string[];
  /** The status the caller gets on success, where it is not the write's usual one. */
  status?: number;
  /** The user or group the write is about, as sent or stored: how support finds a failed create. */
  subject?: EventSubject;
}

export interface EventSubject {
  userName?: string | null;
  externalId?: string | null;
  displayName?: string | null;
}

/**
 * The userName, externalId and displayName of a SCIM request body, read leniently (attribute names in
 * any case, strings only) so that a write the service refuses is still recorded with what it tried.
 */
export function subjectOf(body: unknown): EventSubject {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return {};
  const subject: EventSubject = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value !== 'string') continue;
    const name = key.toLowerCase();
    if (name === 'username') subject.userName = value;
    else if (name === 'externalid') subject.externalId = value;
    else if (name === 'displayname') subject.displayName = value;
  }
  return subject;
}

/**
 * The provisioning event log. A successful write records its event through the same
 * EntityManager, inside the write's transaction, so the change and its event exist together or not
 * at all; a failed write is recorded afterwards, on its own.
 */
@Injectable()
export class EventLog {
  private readonly logger = new Logger('EventLog');

  constructor(private readonly db: Database) {}

  async record(manager: EntityManager, tenantId: string, draft: EventDraft, status = 200): Promise<void> {
    const { sql, params } = this.statement(tenantId, draft, status);
    await manager.query(sql, [...params]);
  }

  /** The INSERT that records a successful write, for a unit of work to queue with the write. */
  statement(tenantId: string, draft: EventDraft, status = 200): Statement {
    return this.db.insertStatement(ProvisioningEventEntity, [toRow(tenantId, draft, draft.status ?? status, null)])!;
  }

  /** Records a write that changed nothing yet has something to tell support (the attributes it ignored). */
  async recordUnchanged(tenantId: string, draft: EventDraft): Promise<void> {
    await this.db.transaction((m) => m.insert(ProvisioningEventEntity, toRow(tenantId, draft, draft.status ?? 200, null)));
  }

  /** Records a failed write; never throws (the caller's own error matters more). */
  async recordFailure(tenantId: string, draft: EventDraft, error: unknown): Promise<void> {
    const status = error instanceof ScimError ? error.status : 500;
    const detail = error instanceof ScimError ? error.detail : 'Internal error';
    try {
      await this.db.transaction((m) => m.insert(ProvisioningEventEntity, toRow(tenantId, draft, status, detail)));
    } catch (failure) {
      this.logger.warn(`Could not record a failed ${draft.operation} of a ${draft.resourceType}: ${describeDatabaseError(failure) ?? (failure as Error).message}`);
    }
  }

  /**
   * Runs a write and records it if it fails. `work` records the success itself, in its transaction.
   */
  async track<T>(tenantId: string, draft: EventDraft, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      await this.recordFailure(tenantId, draft, error);
      throw error;
    }
  }

  /** Deletes events older than `before`, in batches; returns how many went. */
  async prune(before: Date): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.db.read((m) =>
        m.find(ProvisioningEventEntity, { select: { id: true }, where: { at: LessThan(before) }, take: 5000, order: { id: 'ASC' } }),
      );
      if (ids.length === 0) return total;
      await this.db.transaction((m) => m.delete(ProvisioningEventEntity, ids.map((e) => e.id)));
      total += ids.length;
    }
  }
}

function toRow(tenantId: string, draft: EventDraft, status: number, detail: string | null): Partial<ProvisioningEventEntity> {
  return {
    tenantId,
    at: new Date(),
    actorType: draft.actor.type,
    actorId: draft.actor.id?.slice(0, 64) ?? null,
    operation: draft.operation,
    resourceType: draft.resourceType,
    resourceId: draft.resourceId?.slice(0, 64) ?? null,
    status,
    requestId: draft.actor.requestId?.slice(0, 128) ?? null,
    changedAttributes: draft.changed && draft.changed.length > 0 ? JSON.stringify(draft.changed) : null,
    ignoredAttributes: draft.ignored && draft.ignored.length > 0 ? JSON.stringify(draft.ignored.map((name) => name.slice(0, 300)).slice(0, 100)) : null,
    detail: detail?.slice(0, 512) ?? null,
    userName: draft.subject?.userName?.slice(0, 255) ?? null,
    userNameKey: draft.subject?.userName?.toLowerCase().slice(0, 255) ?? null,
    externalId: draft.subject?.externalId?.slice(0, 255) ?? null,
    displayName: draft.subject?.displayName?.slice(0, 255) ?? null,
    count: 1,
    bucket: null,
  };
}
