import { Injectable } from '@nestjs/common';
import { In, type EntityManager } from 'typeorm';
import { Database } from '@app/database';
import { AccountEntity } from '../accounts/account.entity.js';
import { IdentityError } from '../identity.error.js';
import { OAuthClientEntity, OAuthClientSecretEntity } from '../oauth-clients/oauth-client.entity.js';
import { OidcPayloadEntity } from '../oidc/oidc-payload.entity.js';
import { revokeGrantRows } from '../oidc/oidc-payload.store.js';
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
  /**
   * `revoked` while the tenant is suspended or the admin who authorized is disabled: no refresh and
   * no SCIM call succeeds with it. Resuming the tenant or enabling the admin makes it active again.
   */
  status: 'active' | 'revoked';
  revokedReason: 'tenant_suspended' | 'account_disabled' | null;
}

const seconds = (value: unknown) => (typeof value === 'number' ? new Date(value * 1000) : null);

/**
 * Grants and the credentials derived from them, per tenant. They are found through the indexed
 * `tenant_id` and `client_id` columns that the payload store fills from oidc-provider's payloads.
 */
@Injectable()
export class OAuthGrantService {
  constructor(private readonly db: Database) {}

  /** The tenant's live grants; `tenantSuspended` (the caller knows the tenant) marks every one revoked. */
  async list(tenantId: string, page: { offset: number; limit: number }, tenantSuspended = false): Promise<{ total: number; items: GrantSummary[] }> {
    return this.db.read(async (m) => {
      const clients = await m.find(OAuthClientEntity, { where: { tenantId } });
      if (clients.length === 0) return { total: 0, items: [] };
      const query = m
        .createQueryBuilder(OidcPayloadEntity, 'p')
        .where('p.tenant_id = :tenantId AND p.model = :model', { tenantId, model: 'Grant' })
        .andWhere('(p.expires_at IS NULL OR p.expires_at > :now)', { now: this.db.dateParam(new Date()) });
      const total = await query.clone().getCount();
      const rows = await query.orderBy('p.id', 'ASC').offset(page.offset).limit(page.limit).getMany();
      const payloads = rows.map((row) => ({ row, payload: JSON.parse(row.payload) as Record<string, unknown> }));
      const accountIds = [...new Set(payloads.map((p) => p.payload.accountId).filter((id): id is string => typeof id === 'string'))];
      const accounts = accountIds.length ? await m.find(AccountEntity, { where: { id: In(accountIds), tenantId } }) : [];
      const items: GrantSummary[] = [];
      for (const { row, payload } of payloads) {
        const client = clients.find((c) => c.clientId === payload.clientId);
        const account = accounts.find((a) => a.id === payload.accountId);
        const revokedReason = tenantSuspended ? 'tenant_suspended' : account?.disabled ? 'account_disabled' : null;
        items.push({
          id: row.id,
          clientId: client?.clientId ?? String(payload.clientId),
          clientName: client?.name ?? '',
          accountId: typeof payload.accountId === 'string' ? payload.accountId : null,
          accountEmail: account?.email ?? null,
          authorizedAt: seconds(payload.iat),
          expiresAt: row.expiresAt,
          lastUsedAt: await this.lastIssued(m, row.id),
          status: revokedReason ? 'revoked' : 'active',
          revokedReason,
        });
      }
      return { total, items };
    });
  }

  /** Revokes a grant of the tenant and every code and token issued under it; the client's next call gets 401. */
  async revoke(tenantId: string, grantId: string, audit?: InTransaction<{ clientId: string }>): Promise<void> {
    await this.db.transaction(async (m) => {
      const grant = await m.findOneBy(OidcPayloadEntity, { model: 'Grant', id: grantId, tenantId });
      if (!grant?.clientId) throw new IdentityError('not_found', `The tenant has no grant ${grantId}`);
      await this.revokeGrants(m, [grantId]);
      await audit?.(m, { clientId: grant.clientId });
    });
  }

  /**
   * Revokes the grants an account gave a client before `keepGrantId` (with every code and token
   * issued under them): a new Authorize replaces the previous one instead of piling up grants.
   * Returns how many were revoked.
   */
  async replaceEarlier(clientId: string, accountId: string, keepGrantId: string): Promise<number> {
    return this.db.transaction(async (m) => {
      const grants = await m.find(OidcPayloadEntity, { select: { id: true, payload: true }, where: { model: 'Grant', clientId } });
      const earlier = grants
        .filter((g) => g.id !== keepGrantId)
        .filter((g) => {
          const payload = JSON.parse(g.payload) as { clientId?: unknown; accountId?: unknown };
          return payload.clientId === clientId && payload.accountId === accountId;
        })
        .map((g) => g.id);
      await this.revokeGrants(m, earlier);
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
    const grants = await m.find(OidcPayloadEntity, { select: { model: true, id: true }, where: { model: 'Grant', clientId: In(clientIds) } });
    await this.deleteGrants(m, grants.map((g) => g.id));
    // Every other row of the clients: client-credentials tokens, and revoked access tokens kept for their tenant's failure count.
    await m.delete(OidcPayloadEntity, { clientId: In(clientIds) });
    await m.delete(OAuthClientSecretEntity, { clientId: In(clientIds) });
    await m.delete(OAuthClientEntity, { clientId: In(clientIds) });
  }

  /**
   * Deletes grants with their codes and refresh tokens; their access tokens are kept, marked revoked,
   * until they expire, so that a client still calling with one is counted for its tenant.
   */
  private async revokeGrants(m: EntityManager, grantIds: string[]): Promise<void> {
    if (grantIds.length === 0) return;
    await revokeGrantRows(m, grantIds);
    await m.delete(OidcPayloadEntity, { model: 'Grant', id: In(grantIds) });
  }

  /** Deletes grants with everything issued under them. */
  private async deleteGrants(m: EntityManager, grantIds: string[]): Promise<void> {
    if (grantIds.length === 0) return;
    await m.delete(OidcPayloadEntity, { grantId: In(grantIds) });
    await m.delete(OidcPayloadEntity, { model: 'Grant', id: In(grantIds) });
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
