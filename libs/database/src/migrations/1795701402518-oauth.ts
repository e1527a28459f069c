import { Table, TableForeignKey, TableIndex, type MigrationInterface, type QueryRunner } from 'typeorm';
import { columns } from './schema-helpers.js';

/**
 * The OAuth authorization server: accounts (tenant admins now, support staff later), per-tenant
 * OAuth clients with their encrypted secrets, oidc-provider's state and the per-IP sign-in throttle.
 */
export class OAuth1795701402518 implements MigrationInterface {
  name = 'OAuth1795701402518';

  async up(queryRunner: QueryRunner): Promise<void> {
    const c = columns(queryRunner);
    const tenantFk = () =>
      new TableForeignKey({ columnNames: ['tenant_id'], referencedTableName: 'tenants', referencedColumnNames: ['id'], onDelete: 'CASCADE' });

    await queryRunner.createTable(
      new Table({
        name: 'accounts',
        columns: [
          c.id(),
          // null for Atea's support staff
          c.ref('tenant_id', true),
          // the tenant id, or "support": e-mail addresses are unique per realm (tenant_id may be null)
          c.string('realm', 36, false),
          c.string('email', 320, false),
          c.string('email_key', 320, false),
          c.string('password_hash', 255, false),
          c.string('role', 16, false),
          c.boolean('disabled', false),
          c.integer('failed_logins', 0),
          c.timestamp('locked_until', true),
          c.timestamp('last_login_at', true),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [
          new TableIndex({ name: 'uq_accounts_email', columnNames: ['realm', 'email_key'], isUnique: true }),
          new TableIndex({ name: 'ix_accounts_tenant', columnNames: ['tenant_id'] }),
        ],
        foreignKeys: [tenantFk()],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'oauth_clients',
        columns: [
          { ...c.string('client_id', 64, false), isPrimary: true },
          c.ref('tenant_id'),
          c.string('name', 200, false),
          // JSON array of absolute URIs
          c.longText('redirect_uris', false),
          // space-separated
          c.string('grant_types', 200, false),
          c.timestamp('created_at'),
          c.timestamp('updated_at'),
        ],
        indices: [new TableIndex({ name: 'ix_oauth_clients_tenant', columnNames: ['tenant_id'] })],
        foreignKeys: [tenantFk()],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'oauth_client_secrets',
        columns: [
          c.id(),
          c.string('client_id', 64, false),
          // AES-256-GCM, see SecretBox
          c.string('secret_encrypted', 512, false),
          c.timestamp('expires_at'),
          c.timestamp('created_at'),
        ],
        indices: [new TableIndex({ name: 'ix_oauth_client_secrets_client', columnNames: ['client_id', 'expires_at'] })],
        foreignKeys: [
          new TableForeignKey({ columnNames: ['client_id'], referencedTableName: 'oauth_clients', referencedColumnNames: ['client_id'], onDelete: 'CASCADE' }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'oidc_payloads',
        columns: [
          { ...c.string('model', 40, false), isPrimary: true },
          { ...c.string('id', 128, false), isPrimary: true },
          c.longText('payload', false),
          c.string('grant_id', 128),
          c.string('uid', 128),
          c.string('user_code', 128),
          c.timestamp('expires_at', true),
          c.timestamp('consumed_at', true),
        ],
        indices: [
          new TableIndex({ name: 'ix_oidc_payloads_grant', columnNames: ['grant_id'] }),
          new TableIndex({ name: 'ix_oidc_payloads_uid', columnNames: ['uid'] }),
          new TableIndex({ name: 'ix_oidc_payloads_user_code', columnNames: ['user_code'] }),
          new TableIndex({ name: 'ix_oidc_payloads_expires', columnNames: ['expires_at'] }),
        ],
      }),
    );

    await queryRunner.createTable(
      new Table({
        name: 'login_throttle',
        columns: [
          // SHA-256 of the client address
          { ...c.string('ip_key', 64, false), isPrimary: true },
          c.integer('failures', 0),
          c.timestamp('window_started_at'),
          c.timestamp('blocked_until', true),
        ],
        indices: [new TableIndex({ name: 'ix_login_throttle_window', columnNames: ['window_started_at'] })],
      }),
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['login_throttle', 'oidc_payloads', 'oauth_client_secrets', 'oauth_clients', 'accounts']) {
      await queryRunner.dropTable(table);
    }
  }
}
