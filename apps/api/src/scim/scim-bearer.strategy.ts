import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { ScimTokenService } from '@app/identity';
import type { ScimPrincipal, ScimRequest } from './scim-principal.js';

export const SCIM_BEARER = 'scim-bearer';

/** Accepts the per-tenant long-lived SCIM tokens. */
@Injectable()
export class ScimBearerStrategy extends PassportStrategy(Strategy, SCIM_BEARER) {
  constructor(private readonly tokens: ScimTokenService) {
    super({ passReqToCallback: true });
  }

  /** An expired or revoked token is refused, and noted on the request for the tenant's failure count. */
  async validate(req: ScimRequest, token: string): Promise<ScimPrincipal | false> {
    const checked = await this.tokens.check(token);
    if (!checked) return false;
    if ('reason' in checked) {
      req.refused = { tenantId: checked.tenantId, reason: `scim-token-${checked.reason}`, via: 'scim-token', credentialId: checked.tokenId };
      return false;
    }
    return { tenantId: checked.tenantId, via: 'scim-token', credentialId: checked.tokenId };
  }
}
