import { EventLog, type Actor } from '@app/directory';
import type { InTransaction } from '@app/identity';

/**
 * The provisioning event of an admin write, as a hook the write runs in its own transaction: the
 * change and its event are committed together or not at all. Only ids and attribute names are
 * recorded, never a secret.
 */
export function recordIn<R = unknown>(
  events: EventLog,
  tenantId: string,
  actor: Actor,
  event: { operation: string; resourceType: string; resourceId?: (result: R) => string | null; changed?: string[]; status?: number },
): InTransaction<R> {
  return (manager, result) =>
    events.record(
      manager,
      tenantId,
      { actor, operation: event.operation, resourceType: event.resourceType, resourceId: event.resourceId?.(result) ?? null, changed: event.changed },
      event.status ?? 200,
    );
}
