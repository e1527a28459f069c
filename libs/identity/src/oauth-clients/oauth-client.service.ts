import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { In, IsNull, Not } from 'typeorm';
import { Database } from '@app/database';
import { LastUse } from '../last-use.js';
import { SecretBox } from '../keys/secret-box.js';
import { IdentityError } from '../identity.error.js';
import type { InTransaction } from '../transaction-hook.js';
import { OAuthClientEntity, OAuthClientSecretEntity } from './oauth-client.entity.js';

/** Entra's redirect URI for the Authorize button. */
export const ENTRA_REDIRECT_URI = 'https://portal.azure.com/TokenAuthorize';
export const DEFAULT_CLIENT_NAME = 'Microsoft Entra provisioning';
export const DEFAULT_SECRET_DAYS = 730;
export const CLIENT_GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'];
const SECRET_PREFIX = 'atea_cs_';
const DAY_MS = 86_400_000;

export interface IssuedClientSecret {
  clientId: string;
  clientSecret: string;
  secretId: string;
  expiresAt: Date;
}

export interface ClientSummary {
  clientId: string;
  name: string;
  redirectUris: string[];
  grantTypes: string[];
  secrets: { id: string; createdAt: string; expiresAt: string; expired: boolean }[];
}

/** oidc-provider client metadata, plus our `tenant_id`. */
export interface ProviderClientMetadata {
  client_id: string;
  client_secret: string;
  client_secret_expires_at: number;
  client_name: string;
  redirect_uris: string[];
  grant_types: string[];
  response_types: string[];
  /** The authorization response is always in the redirect's query. */
  response_modes: ['query'];
  token_endpoint_auth_method: 'client_secret_basic';
  tenant_id: string;
}

const secretContext = (secretId: string) => `oauth_client_secret:${secretId}`;
const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();

/**
 * Per-tenant OAuth clients. A client has one or more secrets, each with its own expiry, all encrypted
 * at rest (oidc-provider needs the plaintext to compare). Rotation: add a secret, give it to the
 * customer, delete the old one; the client id, and with it every refresh token, stays valid.
 */
@Injectable()
export class OAuthClientService {
  private readonly logger = new Logger('OAuthClientService');
  private readonly lastUse = new LastUse(
    'OAuth client',
    (clientId, at) => this.db.transaction((m) => m.update(OAuthClientEntity, { clientId }, { lastUsedAt: at })),
    this.logger,
  );

  constructor(
    private readonly db: Database,
    private readonly box: SecretBox,
  ) {}

  async create(
    tenantId: string,
    options: { redirectUris?: string[]; name?: string; expiresInDays?: number } = {},
    audit?: InTransaction<IssuedClientSecret>,
  ): Promise<IssuedClientSecret> {
    const redirectUris = options.redirectUris?.length ? [...new Set(options.redirectUris)] : [ENTRA_REDIRECT_URI];
    for (const uri of redirectUris) validateRedirectUri(uri);
    const name = (options.name ?? DEFAULT_CLIENT_NAME).trim();
    if (!name || name.length > 200) throw new IdentityError('invalid', 'The client name must be 1-200 characters');
    const now = new Date();
    const client = Object.assign(new OAuthClientEntity(), {
      clientId: randomUUID(),
      tenantId,
      name,
      redirectUris: JSON.stringify(redirectUris),
      grantTypes: CLIENT_GRANT_TYPES.join(' '),
      createdAt: now,
      updatedAt: now,
      lastUsedAt: null,
    } satisfies OAuthClientEntity);
    const { entity, secret } = this.newSecret(client.clientId, options.expiresInDays ?? DEFAULT_SECRET_DAYS, now);
    const issued = { clientId: client.clientId, clientSecret: secret, secretId: entity.id, expiresAt: entity.expiresAt };
    await this.db.transaction(async (m) => {
      await m.insert(OAuthClientEntity, client);
      await m.insert(OAuthClientSecretEntity, entity);
      await audit?.(m, issued);
    });
    return issued;
  }

  /** Adds a secret to a client; its other secrets stay valid until they expire or are deleted. */
  async addSecret(clientId: string, expiresInDays = DEFAULT_SECRET_DAYS, audit?: InTransaction<IssuedClientSecret>): Promise<IssuedClientSecret> {
    const { entity, secret } = this.newSecret(clientId, expiresInDays, new Date());
    const issued = { clientId, clientSecret: secret, secretId: entity.id, expiresAt: entity.expiresAt };
    await this.db.transaction(async (m) => {
      if (!(await m.existsBy(OAuthClientEntity, { clientId }))) throw new IdentityError('not_found', `No OAuth client "${clientId}"`);
      await m.insert(OAuthClientSecretEntity, entity);
      await audit?.(m, issued);
    });
    return issued;
  }

  async deleteSecret(clientId: string, secretId: string, audit?: InTransaction): Promise<void> {
    await this.db.transaction(async (m) => {
      const result = await m.delete(OAuthClientSecretEntity, { clientId, id: secretId });
      if (!result.affected) throw new IdentityError('not_found', `Client "${clientId}" has no secret "${secretId}"`);
      await audit?.(m);
    });
  }

  /** Sets when a secret expires (expired secrets authenticate nothing). */
  async setSecretExpiry(clientId: string, secretId: string, expiresAt: Date): Promise<void> {
    const result = await this.db.transaction((m) => m.update(OAuthClientSecretEntity, { clientId, id: secretId }, { expiresAt }));
    if (!result.affected) throw new IdentityError('not_found', `Client "${clientId}" has no secret "${secretId}"`);
  }

  async list(tenantId: string): Promise<ClientSummary[]> {
    const now = Date.now();
    return this.db.read(async (m) => {
      const clients = await m.find(OAuthClientEntity, { where: { tenantId }, order: { createdAt: 'ASC' } });
      const secrets = clients.length
        ? await m.find(OAuthClientSecretEntity, { where: { clientId: In(clients.map((c) => c.clientId)) }, order: { createdAt: 'ASC' } })
        : [];
      return clients.map((c) => ({
        clientId: c.clientId,
        name: c.name,
        redirectUris: JSON.parse(c.redirectUris) as string[],
        grantTypes: c.grantTypes.split(' '),
        secrets: secrets
          .filter((s) => s.clientId === c.clientId)
          .map((s) => ({ id: s.id, createdAt: s.createdAt.toISOString(), expiresAt: s.expiresAt.toISOString(), expired: s.expiresAt.getTime() <= now })),
      }));
    });
  }

  /**
   * Notes that an access token of the client got a SCIM call through: last_used_at, written at most
   * once a minute per client. Never throws: a busy database must not fail the call it rides on.
   */
  recordUse(clientId: string, now = Date.now()): Promise<void> | undefined {
    return this.lastUse.record(clientId, now);
  }

  /** The newest use of any OAuth client of the tenant (see recordUse). */
  async lastUsedAt(tenantId: string): Promise<Date | null> {
    const newest = await this.db.read((m) =>
      m.findOne(OAuthClientEntity, { select: { clientId: true, lastUsedAt: true }, where: { tenantId, lastUsedAt: Not(IsNull()) }, order: { lastUsedAt: 'DESC' } }),
    );
    return newest?.lastUsedAt ?? null;
  }

  findClient(clientId: string): Promise<OAuthClientEntity | null> {
    return this.db.read((m) => m.findOneBy(OAuthClientEntity, { clientId }));
  }

  /**
   * The client as oidc-provider sees it. oidc-provider holds one secret per client, so the secret
   * shown to it is the one the caller presented when it matches any of the client's secrets
   * (expired ones included, so that the answer says "expired"); otherwise the newest live one, and
   * the comparison fails as it should.
   */
  async providerMetadata(clientId: string, presentedSecret?: string): Promise<ProviderClientMetadata | undefined> {
    if (clientId.length > 64) return undefined;
    const found = await this.db.read(async (m) => {
      const client = await m.findOneBy(OAuthClientEntity, { clientId });
      const secrets = client ? await m.find(OAuthClientSecretEntity, { where: { clientId }, order: { createdAt: 'DESC' } }) : [];
      return client ? { client, secrets } : undefined;
    });
    if (!found) return undefined;
    const { client, secrets } = found;
    const now = Date.now();
    const decrypted = secrets
      .map((s) => ({ value: this.box.decrypt(s.secretEncrypted, secretContext(s.id)), expiresAt: s.expiresAt }))
      .filter((s): s is { value: string; expiresAt: Date } => s.value !== null);
    const presented = presentedSecret === undefined ? undefined : digest(presentedSecret);
    const chosen =
      (presented && decrypted.find((s) => timingSafeEqual(digest(s.value), presented))) ??
      decrypted.find((s) => s.expiresAt.getTime() > now) ??
      decrypted[0];
    const grantTypes = client.grantTypes.split(' ');
    return {
      client_id: client.clientId,
      // A client without usable secrets gets an unguessable one that has already expired.
      client_secret: chosen?.value ?? randomBytes(32).toString('base64url'),
      client_secret_expires_at: chosen ? Math.floor(chosen.expiresAt.getTime() / 1000) : 1,
      client_name: client.name,
      redirect_uris: JSON.parse(client.redirectUris) as string[],
      grant_types: grantTypes,
      response_types: grantTypes.includes('authorization_code') ? ['code'] : [],
      response_modes: ['query'],
      token_endpoint_auth_method: 'client_secret_basic',
      tenant_id: client.tenantId,
    };
  }

  private newSecret(clientId: string, expiresInDays: number, now: Date) {
    if (!Number.isInteger(expiresInDays) || expiresInDays < 1 || expiresInDays > 3650) {
      throw new IdentityError('invalid', 'A client secret expires after 1 to 3650 days');
    }
    const secret = `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;
    const id = randomUUID();
    const entity = Object.assign(new OAuthClientSecretEntity(), {
      id,
      clientId,
      secretEncrypted: this.box.encrypt(secret, secretContext(id)),
      expiresAt: new Date(now.getTime() + expiresInDays * DAY_MS),
      createdAt: now,
    } satisfies OAuthClientSecretEntity);
    return { entity, secret };
  }
}

/** Absolute https URIs without fragment; plain http only for loopback addresses (development). */
export function validateRedirectUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new IdentityError('invalid', `Redirect URI "${uri}" is not an absolute URI`);
  }
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new IdentityError('invalid', `Redirect URI "${uri}" must use https (http only for localhost)`);
  }
  if (url.hash || uri.includes('#')) throw new IdentityError('invalid', `Redirect URI "${uri}" must not have a fragment`);
  if (uri.length > 2000) throw new IdentityError('invalid', 'A redirect URI has at most 2000 characters');
}
