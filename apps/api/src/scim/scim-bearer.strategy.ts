import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { ScimTokenService } from '@app/identity';
import type { ScimPrincipal } from './scim-principal.js';

export const SCIM_BEARER = 'scim-bearer';

/** Accepts the per-tenant long-lived SCIM tokens. */
@Injectable()
export class ScimBearerStrategy extends PassportStrategy(Strategy, SCIM_BEARER) {
  constructor(private readonly tokens: ScimTokenService) {
    super();
  }

  async validate(token: string): Promise<ScimPrincipal | false> {
    const principal = await this.tokens.verify(token);
    return principal ? { tenantId: principal.tenantId, via: 'scim-token', credentialId: principal.tokenId } : false;
  }
}
