import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { Database } from '@app/database';
import { AccountEntity } from '../accounts/account.entity.js';
import { IdentityError } from '../identity.error.js';
import { OAuthClientEntity, OAuthClientSecretEntity } from '../oauth-clients/oauth-client.entity.js';
import { OidcPayloadEntity } from '../oidc/oidc-payload.entity.js';
import { ScimTokenEntity } from '../scim-tokens/scim-token.entity.js';
import type { InTransaction } from '../transaction-hook.js';

/** An authorization a tenant admin gave an OAuth client (oidc-provider's Grant), as support sees it. */
export interface GrantSummary {
  id: string;
  clientId: string;
  clientName: string;
  accountId: string | null;
  accountEmail: string | null;
  authorizedAt: Date | null;
  expiresAt: Date | null;
  /** When a token was last issued under the grant (every refresh issues one). */
  lastUsedAt: Date | null;
}

/** Token models that a client holds without a grant (client credentials). */
const CLIENT_TOKEN_MODELS = ['ClientCredentials'];

/** `payload LIKE` pattern matching oidc-provider's serialised `"clientId":"…"`. */
function clientIdPattern(clientId: string): string {
  return `%${JSON.stringify({ clientId }).slice(1, -1).replace(/[!%_]/g, (c) => `!${c}`)}%`;
}

const seconds = (value: unknown) => (typeof value === 'number' ? new Date(value * 1000) : null);

/**
 * Grants and the credentials derived from them, per tenant. oidc-provider keeps a grant's client id
 * inside its JSON payload; grants are few (one per authorization), so they are found by a pattern on
 * the payload within the `Grant` rows (the primary key's first column).
 */
@Injectable()
export class OAuthGrantService {
  constructor(private readonly db: Database) {}

  async list(tenantId: string, page: { offset: number; limit: number }): Promise<{ total: number; items: GrantSummary[] }> {
    return this.db.read(async (m) => {
      const clients = await m.find(OAuthClientEntity, { where: { tenantId } });
      if (clients.length === 0) return { total: 0, items: [] };
      const query = this.grantsOf(m, clients.map((c) => c.clientId)).andWhere('(p.expires_at IS NULL OR p.expires_at > :now)', {
        now: this.db.dateParam(new Date()),
      });
      const total = await query.clone().getCount();
      const rows = await query.orderBy('p.id', 'ASC').offset(page.offset).limit(page.limit).getMany();
      const payloads = rows.map((row) => ({ row, payload: JSON.parse(row.payload) as Record<string, unknown> }));
      const accountIds = [...new Set(payloads.map((p) => p.payload.accountId).filter((id): id is string => typeof id === 'string'))];
      const accounts = accountIds.length ? await m.find(AccountEntity, { where: { id: In(accountIds), tenantId } }) : [];
      const items: GrantSummary[] = [];
      for (const { row, payload } of payloads) {
        const client = clients.find((c) => c.clientId === payload.clientId);
        const account = accounts.find((a) => a.id === payload.accountId);
        items.push({
          id: row.id,
          clientId: client?.clientId ?? String(payload.clientId),
          clientName: client?.name ?? '',
          accountId: typeof payload.accountId === 'string' ? payload.accountId : null,
          accountEmail: account?.email ?? null,
          authorizedAt: seconds(payload.iat),
          expiresAt: row.expiresAt,
          lastUsedAt: await this.lastIssued(m, row.id),
        });
      }
      return { total, items };
    });
  }

  /** Revokes a grant of the tenant and every code and token issued under it; the client's next call gets 401. */
  async revoke(tenantId: string, grantId: string, audit?: InTransaction<{ clientId: string }>): Promise<void> {
    await this.db.transaction(async (m) => {
      const grant = await m.findOneBy(OidcPayloadEntity, { model: 'Grant', id: grantId });
      const clientId = grant ? (JSON.parse(grant.payload) as { clientId?: unknown }).clientId : undefined;
      const client = typeof clientId === 'string' ? await m.findOneBy(OAuthClientEntity, { clientId, tenantId }) : null;
      if (!grant || !client) throw new IdentityError('not_found', `The tenant has no grant ${grantId}`);
      await this.deleteGrants(m, [grantId]);
      await audit?.(m, { clientId: client.clientId });
    });
  }

  /**
   * Revokes the grants an account gave a client before `keepGrantId` (with every code and token
   * issued under them): a new Authorize replaces the previous one instead of piling up grants.
   * Returns how many were revoked.
   */
  async replaceEarlier(clientId: string, accountId: string, keepGrantId: string): Promise<number> {
    return this.db.transaction(async (m) => {
      const grants = await this.grantsOf(m, [clientId]).getMany();
      const earlier = grants
        .filter((g) => g.id !== keepGrantId)
        .filter((g) => {
          const payload = JSON.parse(g.payload) as { clientId?: unknown; accountId?: unknown };
          return payload.clientId === clientId && payload.accountId === accountId;
        })
        .map((g) => g.id);
      await this.deleteGrants(m, earlier);
      return earlier.length;
    });
  }

  /** Deletes an OAuth client of the tenant with its secrets, grants and tokens. */
  async deleteClient(tenantId: string, clientId: string, audit?: InTransaction): Promise<void> {
    await this.db.transaction(async (m) => {
      if (!(await m.existsBy(OAuthClientEntity, { tenantId, clientId }))) throw new IdentityError('not_found', `The tenant has no OAuth client ${clientId}`);
      await this.deleteClients(m, [clientId]);
      await audit?.(m);
    });
  }

  /**
   * Deletes the tenant's identity data through `m` (the caller's transaction): OAuth clients with
   * their secrets, grants and tokens, admin accounts and SCIM tokens. The database cascades most of
   * this from the tenant row too; oidc-provider's rows have no foreign key and need this.
   */
  async purgeTenant(m: EntityManager, tenantId: string): Promise<void> {
    const clients = await m.find(OAuthClientEntity, { select: { clientId: true }, where: { tenantId } });
    await this.deleteClients(m, clients.map((c) => c.clientId));
    await m.delete(AccountEntity, { tenantId });
    await m.delete(ScimTokenEntity, { tenantId });
  }

  private async deleteClients(m: EntityManager, clientIds: string[]): Promise<void> {
    if (clientIds.length === 0) return;
    const grants = await this.grantsOf(m, clientIds).select('p.id').getMany();
    await this.deleteGrants(m, grants.map((g) => g.id));
    for (const clientId of clientIds) {
      await m
        .createQueryBuilder()
        .delete()
        .from(OidcPayloadEntity)
        .where('model IN (:...models)', { models: CLIENT_TOKEN_MODELS })
        .andWhere(`payload LIKE :pattern ESCAPE '!'`, { pattern: clientIdPattern(clientId) })
        .execute();
    }
    await m.delete(OAuthClientSecretEntity, { clientId: In(clientIds) });
    await m.delete(OAuthClientEntity, { clientId: In(clientIds) });
  }

  private async deleteGrants(m: EntityManager, grantIds: string[]): Promise<void> {
    if (grantIds.length === 0) return;
    await m.delete(OidcPayloadEntity, { grantId: In(grantIds) });
    await m.delete(OidcPayloadEntity, { model: 'Grant', id: In(grantIds) });
  }

  private grantsOf(m: EntityManager, clientIds: string[]) {
    const qb = m.createQueryBuilder(OidcPayloadEntity, 'p').where('p.model = :model', { model: 'Grant' });
    const conditions = clientIds.map((_, i) => `p.payload LIKE :c${i} ESCAPE '!'`);
    const params = Object.fromEntries(clientIds.map((id, i) => [`c${i}`, clientIdPattern(id)]));
    return qb.andWhere(`(${conditions.join(' OR ')})`, params);
  }

  /** The newest issue time of the grant's access and refresh tokens. */
  private async lastIssued(m: EntityManager, grantId: string): Promise<Date | null> {
    let latest: Date | null = null;
    for (const model of ['AccessToken', 'RefreshToken']) {
      const row = await m.findOne(OidcPayloadEntity, { where: { model, grantId }, order: { expiresAt: 'DESC' } });
      const issued = row ? seconds((JSON.parse(row.payload) as { iat?: unknown }).iat) : null;
      if (issued && (!latest || issued > latest)) latest = issued;
    }
    return latest;
  }
}
