import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ActorType = 'scim-token' | 'oauth-client' | 'support' | 'system';

/** One write to a tenant's data, or one failed attempt. Append-only; never updated. */
@Entity({ name: 'provisioning_events' })
export class ProvisioningEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 36 })
  tenantId: string;

  @Column({ type: 'datetime' })
  at: Date;

  @Column({ name: 'actor_type', type: 'varchar', length: 16 })
  actorType: ActorType;

  /** The SCIM token, OAuth client or support account that acted (its id, never a secret). */
  @Column({ name: 'actor_id', type: 'varchar', length: 64, nullable: true })
  actorId: string | null;

  /** `create`, `replace`, `patch`, `delete` for SCIM; `<resource>.<verb>` for admin writes. */
  @Column({ type: 'varchar', length: 32 })
  operation: string;

  @Column({ name: 'resource_type', type: 'varchar', length: 16 })
  resourceType: string;

  @Column({ name: 'resource_id', type: 'varchar', length: 64, nullable: true })
  resourceId: string | null;

  /** The HTTP status the caller got. */
  @Column({ type: 'int' })
  status: number;

  /** Entra's `client-request-id` when sent, else our own request id. */
  @Column({ name: 'request_id', type: 'varchar', length: 128, nullable: true })
  requestId: string | null;

  /** JSON array of the names of the attributes that changed. */
  @Column({ name: 'changed_attributes', type: 'text', nullable: true })
  changedAttributes: string | null;

  /** JSON array of the attributes the write sent that no schema of the tenant defines (not stored). */
  @Column({ name: 'ignored_attributes', type: 'text', nullable: true })
  ignoredAttributes: string | null;

  /** Why a write failed (the error detail the caller got). */
  @Column({ type: 'varchar', length: 512, nullable: true })
  detail: string | null;
}
