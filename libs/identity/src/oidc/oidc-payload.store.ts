import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { In, IsNull, LessThan, Not, type EntityManager } from 'typeorm';
import { Database, isUniqueViolation } from '@app/database';
import { OAuthClientEntity } from '../oauth-clients/oauth-client.entity.js';
import { OidcPayloadEntity } from './oidc-payload.entity.js';

/** An oidc-provider payload, as its adapters exchange them. */
export type OidcPayload = Record<string, unknown> & {
  jti?: string;
  grantId?: string;
  uid?: string;
  userCode?: string;
  exp?: number;
  consumed?: number;
};

/**
 * Models whose id is the credential itself (the opaque token or code the client holds): only the
 * SHA-256 of the id is stored, and the `jti` is left out of the stored payload, so a copy of the
 * table yields no usable token.
 */
const CREDENTIAL_MODELS = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'InitialAccessToken',
  'RegistrationAccessToken',
]);

/**
 * Models a SCIM call presents as its bearer token. Revoking one (RFC 7009, a revoked or replaced
 * grant) keeps its row, marked by `consumed_at`, until it would have expired and the purge takes it:
 * a call that still presents it is refused like any unknown token, yet counted for its tenant as a
 * revoked token. oidc-provider never consumes these models itself.
 */
export const BEARER_TOKEN_MODELS = ['AccessToken', 'ClientCredentials'];
const BEARER_MODELS = new Set(BEARER_TOKEN_MODELS);

/** Why a bearer token that names its tenant is refused. */
export interface RefusedAccessToken {
  clientId: string;
  tenantId: string;
  reason: 'expired' | 'revoked';
}

export function storedOidcId(model: string, id: string): string {
  return CREDENTIAL_MODELS.has(model) ? createHash('sha256').update(id, 'utf8').digest('base64url') : id;
}

/** The `oidc_payloads` table: the storage behind the oidc-provider adapter. */
@Injectable()
export class OidcPayloadStore {
  constructor(private readonly db: Database) {}

  async upsert(model: string, id: string, payload: OidcPayload, expiresInSeconds: number | undefined): Promise<void> {
    const key = storedOidcId(model, id);
    const stored = { ...payload };
    if (CREDENTIAL_MODELS.has(model)) delete stored.jti;
    const now = Date.now();
    const expiresAt = expiresInSeconds ? new Date(now + expiresInSeconds * 1000) : null;
    const values = {
      payload: JSON.stringify(stored),
      grantId: typeof payload.grantId === 'string' ? payload.grantId : null,
      uid: typeof payload.uid === 'string' ? payload.uid : null,
      userCode: typeof payload.userCode === 'string' ? payload.userCode : null,
      expiresAt,
    };
    const clientId = typeof payload.clientId === 'string' && payload.clientId.length <= 64 ? payload.clientId : null;
    await this.db.transaction(async (m) => {
      // Insert first: most payloads are new (every token, code and interaction), and an UPDATE of a
      // row that does not exist yet takes a gap lock on MySQL, on which parallel token requests
      // deadlock. The client and its tenant are written once, with the row: a payload never changes client.
      const client = clientId ? await m.findOne(OAuthClientEntity, { select: { clientId: true, tenantId: true }, where: { clientId } }) : null;
      const owner = { clientId, tenantId: client?.tenantId ?? null };
      try {
        await m.insert(OidcPayloadEntity, { model, id: key, ...values, ...owner, consumedAt: null });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        await m.update(OidcPayloadEntity, { model, id: key }, values);
      }
      // A grant lives as long as its newest refresh token: refresh tokens slide, so the grant slides with them.
      if (model === 'RefreshToken' && values.grantId && expiresAt) {
        const grant = await m.findOneBy(OidcPayloadEntity, { model: 'Grant', id: values.grantId });
        if (grant?.expiresAt && grant.expiresAt < expiresAt) {
          const grantPayload = JSON.parse(grant.payload) as OidcPayload;
          grantPayload.exp = Math.ceil(expiresAt.getTime() / 1000);
          await m.update(OidcPayloadEntity, { model: 'Grant', id: values.grantId }, { payload: JSON.stringify(grantPayload), expiresAt });
        }
      }
    });
  }

  /** The payload, unless absent or expired; `consumedAt` tells when it was consumed. */
  async find(model: string, id: string): Promise<{ payload: OidcPayload; consumedAt: Date | null } | undefined> {
    const row = await this.db.read((m) => m.findOneBy(OidcPayloadEntity, { model, id: storedOidcId(model, id) }));
    return this.live(row, CREDENTIAL_MODELS.has(model) ? id : undefined);
  }

  /**
   * The client and tenant of an access token that has expired or was revoked but is not purged yet,
   * with which of the two: a refused call can then be counted for its tenant. Undefined for an
   * unknown or still live token.
   */
  async refusedAccessToken(token: string): Promise<RefusedAccessToken | undefined> {
    for (const model of BEARER_TOKEN_MODELS) {
      const row = await this.db.read((m) => m.findOneBy(OidcPayloadEntity, { model, id: storedOidcId(model, token) }));
      if (!row) continue;
      const reason = row.consumedAt ? 'revoked' : row.expiresAt && row.expiresAt.getTime() <= Date.now() ? 'expired' : null;
      if (!reason) return undefined;
      const payload = JSON.parse(row.payload) as OidcPayload & { clientId?: unknown; extra?: { tenant_id?: unknown } };
      const tenantId = payload.extra?.tenant_id;
      return typeof tenantId === 'string' && typeof payload.clientId === 'string' ? { clientId: payload.clientId, tenantId, reason } : undefined;
    }
    return undefined;
  }

  async findBy(model: string, column: 'uid' | 'userCode', value: string): Promise<{ payload: OidcPayload; consumedAt: Date | null } | undefined> {
    const row = await this.db.read((m) => m.findOneBy(OidcPayloadEntity, { model, [column]: value }));
    return this.live(row, undefined);
  }

  async consume(model: string, id: string): Promise<void> {
    await this.db.transaction((m) =>
      m
        .createQueryBuilder()
        .update(OidcPayloadEntity)
        .set({ consumedAt: new Date() })
        .where('model = :model AND id = :id AND consumed_at IS NULL', { model, id: storedOidcId(model, id) })
        .execute(),
    );
  }

  /** Deletes a model instance; a bearer token is marked revoked instead (see BEARER_TOKEN_MODELS). */
  async destroy(model: string, id: string): Promise<void> {
    const key = { model, id: storedOidcId(model, id) };
    await this.db.transaction((m) => (BEARER_MODELS.has(model) ? m.update(OidcPayloadEntity, key, { consumedAt: new Date() }) : m.delete(OidcPayloadEntity, key)));
  }

  async revokeByGrantId(model: string, grantId: string): Promise<void> {
    await this.db.transaction((m) => revokeGrantRows(m, [grantId], [model]));
  }

  /** Deletes every expired row; returns how many. */
  async purgeExpired(now = new Date()): Promise<number> {
    const result = await this.db.transaction((m) => m.delete(OidcPayloadEntity, { expiresAt: LessThan(now) }));
    return result.affected ?? 0;
  }

  private live(row: OidcPayloadEntity | null, credential: string | undefined) {
    if (!row || (row.expiresAt && row.expiresAt.getTime() <= Date.now())) return undefined;
    if (row.consumedAt && BEARER_MODELS.has(row.model)) return undefined;
    const payload = JSON.parse(row.payload) as OidcPayload;
    if (credential !== undefined) payload.jti = credential;
    return { payload, consumedAt: row.consumedAt };
  }
}

/**
 * Revokes the rows issued under the grants (of `models`, or of every model) through `m`: codes and
 * refresh tokens are deleted, bearer tokens marked revoked until they would have expired.
 */
export async function revokeGrantRows(m: EntityManager, grantIds: string[], models?: string[]): Promise<void> {
  if (grantIds.length === 0) return;
  const bearer = models ? models.filter((model) => BEARER_MODELS.has(model)) : BEARER_TOKEN_MODELS;
  const others = models ? models.filter((model) => !BEARER_MODELS.has(model)) : undefined;
  if (bearer.length > 0) {
    await m.update(OidcPayloadEntity, { grantId: In(grantIds), model: In(bearer), consumedAt: IsNull() }, { consumedAt: new Date() });
  }
  if (others === undefined) await m.delete(OidcPayloadEntity, { grantId: In(grantIds), model: Not(In(BEARER_TOKEN_MODELS)) });
  else if (others.length > 0) await m.delete(OidcPayloadEntity, { grantId: In(grantIds), model: In(others) });
}
