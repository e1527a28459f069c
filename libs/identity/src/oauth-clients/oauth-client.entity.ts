import { Column, Entity, PrimaryColumn } from 'typeorm';

/** An OAuth client of one tenant (Entra is given one per customer). Its secrets are child rows. */
@Entity({ name: 'oauth_clients' })
export class OAuthClientEntity {
  @PrimaryColumn({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  @Column({ name: 'tenant_id', type: 'varchar', length: 36 })
  tenantId: string;

  /** Shown on the consent page: "<name> wants to manage users of <tenant>". */
  @Column({ type: 'varchar', length: 200 })
  name: string;

  /** JSON array of absolute URIs. */
  @Column({ name: 'redirect_uris', type: 'text' })
  redirectUris: string;

  /** Space-separated grant types. */
  @Column({ name: 'grant_types', type: 'varchar', length: 200 })
  grantTypes: string;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'datetime' })
  updatedAt: Date;

  /** When one of its access tokens last got a SCIM call through (written at most once a minute). */
  @Column({ name: 'last_used_at', type: 'datetime', nullable: true })
  lastUsedAt: Date | null;
}

/** One secret of a client; several may be live at once, so that secrets rotate without downtime. */
@Entity({ name: 'oauth_client_secrets' })
export class OAuthClientSecretEntity {
  @PrimaryColumn({ type: 'varchar', length: 36 })
  id: string;

  @Column({ name: 'client_id', type: 'varchar', length: 64 })
  clientId: string;

  /** AES-256-GCM ciphertext (SecretBox), bound to this row's id. */
  @Column({ name: 'secret_encrypted', type: 'varchar', length: 512 })
  secretEncrypted: string;

  @Column({ name: 'expires_at', type: 'datetime' })
  expiresAt: Date;

  @Column({ name: 'created_at', type: 'datetime' })
  createdAt: Date;
}
