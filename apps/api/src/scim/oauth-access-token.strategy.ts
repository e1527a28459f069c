import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { AppConfig } from '@app/config';
import { AccountService, OidcPayloadStore } from '@app/identity';
import { OidcProviderHost } from '../oauth/oidc-provider.host.js';
import type { ScimPrincipal, ScimRequest } from './scim-principal.js';

export const OAUTH_BEARER = 'oauth-bearer';

/**
 * Accepts access tokens of our authorization server (code grant and client credentials), looked up
 * in-process: the token must be live, issued for the SCIM API and carry the client's tenant, and the
 * admin who authorized it must still be enabled (known to every instance within a few seconds).
 * A suspended tenant's tokens are refused by the guard.
 */
@Injectable()
export class OAuthAccessTokenStrategy extends PassportStrategy(Strategy, OAUTH_BEARER) {
  constructor(
    private readonly host: OidcProviderHost,
    private readonly config: AppConfig,
    private readonly accounts: AccountService,
    private readonly store: OidcPayloadStore,
  ) {
    super({ passReqToCallback: true });
  }

  /**
   * An expired or revoked token, one not issued for the SCIM API, or one authorized by an admin who
   * is now disabled, is refused and noted on the request for its tenant's failure count.
   */
  async validate(req: ScimRequest, token: string): Promise<ScimPrincipal | false> {
    if (token.length < 20 || token.length > 200 || token.startsWith('atea_scim_')) return false;
    const { AccessToken, ClientCredentials } = this.host.provider;
    const found = (await AccessToken.find(token)) ?? (await ClientCredentials.find(token));
    if (!found) {
      // oidc-provider no longer sees an expired or revoked token; its row stays until the purge, naming the tenant.
      const refused = await this.store.refusedAccessToken(token);
      if (refused) req.refused = { tenantId: refused.tenantId, reason: `oauth-token-${refused.reason}`, via: 'oauth', credentialId: refused.clientId };
      return false;
    }
    const tenantId = (found.extra as { tenant_id?: unknown } | undefined)?.tenant_id;
    if (typeof tenantId !== 'string') return false;
    const credentialId = found.clientId ?? '-';
    const refused = found.isExpired ? 'oauth-token-expired' : found.aud !== this.config.scimResource ? 'oauth-token-wrong-audience' : null;
    if (refused) {
      req.refused = { tenantId, reason: refused, via: 'oauth', credentialId };
      return false;
    }
    const accountId = (found as { accountId?: unknown }).accountId;
    if (typeof accountId === 'string' && !(await this.accounts.isEnabled(accountId))) {
      req.refused = { tenantId, reason: 'oauth-authorizer-disabled', via: 'oauth', credentialId };
      return false;
    }
    return { tenantId, via: 'oauth', credentialId };
  }
}
