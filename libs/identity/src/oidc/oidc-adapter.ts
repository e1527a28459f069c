import type { OAuthClientService } from '../oauth-clients/oauth-client.service.js';
import type { OidcPayload, OidcPayloadStore } from './oidc-payload.store.js';

export interface OidcAdapterOptions {
  store: OidcPayloadStore;
  clients: OAuthClientService;
  /** The client secret presented with the current request, if any (see OAuthClientService.providerMetadata). */
  presentedClientSecret: () => string | undefined;
  /** How long an exchanged refresh token keeps working, in seconds. */
  refreshTokenGraceSeconds: number;
}

/** The adapter interface of oidc-provider (one instance per model name). */
export interface OidcAdapter {
  upsert(id: string, payload: OidcPayload, expiresIn: number): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>;
  findByUid(uid: string): Promise<OidcPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

/**
 * The oidc-provider adapter over our tables: clients come read-only from `oauth_clients`, every
 * other model lives in `oidc_payloads`. A refresh token exchanged less than the grace period ago is
 * handed out as not yet consumed, so a client that lost the answer to a refresh can repeat it;
 * afterwards oidc-provider sees it consumed and revokes the grant as reuse.
 */
export function createOidcAdapter(options: OidcAdapterOptions): new (model: string) => OidcAdapter {
  const { store, clients, presentedClientSecret, refreshTokenGraceSeconds } = options;
  const graceMs = refreshTokenGraceSeconds * 1000;

  return class TypeOrmOidcAdapter implements OidcAdapter {
    constructor(private readonly model: string) {}

    async upsert(id: string, payload: OidcPayload, expiresIn: number): Promise<void> {
      if (this.model === 'Client') throw new Error('Clients are managed through OAuthClientService');
      await store.upsert(this.model, id, payload, expiresIn);
    }

    async find(id: string): Promise<OidcPayload | undefined> {
      if (this.model === 'Client') return (await clients.providerMetadata(id, presentedClientSecret())) as OidcPayload | undefined;
      return this.withConsumed(await store.find(this.model, id));
    }

    async findByUserCode(userCode: string): Promise<OidcPayload | undefined> {
      return this.withConsumed(await store.findBy(this.model, 'userCode', userCode));
    }

    async findByUid(uid: string): Promise<OidcPayload | undefined> {
      return this.withConsumed(await store.findBy(this.model, 'uid', uid));
    }

    consume(id: string): Promise<void> {
      return store.consume(this.model, id);
    }

    destroy(id: string): Promise<void> {
      return store.destroy(this.model, id);
    }

    revokeByGrantId(grantId: string): Promise<void> {
      return store.revokeByGrantId(this.model, grantId);
    }

    private withConsumed(found: { payload: OidcPayload; consumedAt: Date | null } | undefined): OidcPayload | undefined {
      if (!found) return undefined;
      const { payload, consumedAt } = found;
      if (!consumedAt) return payload;
      if (this.model === 'RefreshToken' && Date.now() - consumedAt.getTime() < graceMs) return payload;
      return { ...payload, consumed: Math.floor(consumedAt.getTime() / 1000) };
    }
  };
}
