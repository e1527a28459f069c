import type { MigrationInterface, QueryRunner } from 'typeorm';

/** oidc-provider models whose payload names the client they were issued to. */
const CLIENT_MODELS = ['Grant', 'AccessToken', 'RefreshToken', 'AuthorizationCode', 'ClientCredentials'];

const BATCH = 500;

/**
 * The client and tenant of grants, codes and tokens as indexed columns of `oidc_payloads`, so that
 * support's grant list and client deletion find them by index instead of matching the JSON payload.
 * Existing rows are filled from their payload's `clientId` (one UPDATE per batch) and the client's
 * tenant. Plain ALTER TABLE, as in the other column migrations (SQLite 3.35+ drops columns).
 */
export class OidcPayloadClient1796010718722 implements MigrationInterface {
  name = 'OidcPayloadClient1796010718722';

  async up(queryRunner: QueryRunner): Promise<void> {
    const text = queryRunner.connection.driver.options.type === 'mysql' ? ' CHARACTER SET utf8mb4 COLLATE utf8mb4_bin' : '';
    await queryRunner.query(`ALTER TABLE oidc_payloads ADD COLUMN client_id VARCHAR(64)${text} NULL`);
    await queryRunner.query(`ALTER TABLE oidc_payloads ADD COLUMN tenant_id VARCHAR(36)${text} NULL`);
    await queryRunner.query('CREATE INDEX ix_oidc_payloads_client ON oidc_payloads (client_id, model)');
    await queryRunner.query('CREATE INDEX ix_oidc_payloads_tenant ON oidc_payloads (tenant_id, model)');
    for (const model of CLIENT_MODELS) {
      for (let after = ''; ; ) {
        const rows: { id: string; payload: string }[] = await queryRunner.query(
          `SELECT id, payload FROM oidc_payloads WHERE model = ? AND id > ? ORDER BY id LIMIT ${BATCH}`,
          [model, after],
        );
        if (rows.length === 0) break;
        after = rows[rows.length - 1].id;
        const named = rows.flatMap((row) => {
          const clientId = clientIdOf(row.payload);
          return clientId ? [{ id: row.id, clientId }] : [];
        });
        if (named.length === 0) continue;
        await queryRunner.query(
          `UPDATE oidc_payloads SET client_id = CASE id ${named.map(() => 'WHEN ? THEN ?').join(' ')} END WHERE model = ? AND id IN (${named.map(() => '?').join(', ')})`,
          [...named.flatMap((n) => [n.id, n.clientId]), model, ...named.map((n) => n.id)],
        );
      }
    }
    await queryRunner.query(
      'UPDATE oidc_payloads SET tenant_id = (SELECT c.tenant_id FROM oauth_clients c WHERE c.client_id = oidc_payloads.client_id) WHERE client_id IS NOT NULL',
    );
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.dropIndex('oidc_payloads', 'ix_oidc_payloads_tenant');
    await queryRunner.dropIndex('oidc_payloads', 'ix_oidc_payloads_client');
    await queryRunner.query('ALTER TABLE oidc_payloads DROP COLUMN tenant_id');
    await queryRunner.query('ALTER TABLE oidc_payloads DROP COLUMN client_id');
  }
}

function clientIdOf(payload: string): string | undefined {
  try {
    const clientId = (JSON.parse(payload) as { clientId?: unknown }).clientId;
    return typeof clientId === 'string' && clientId.length <= 64 ? clientId : undefined;
  } catch {
    return undefined;
  }
}
