import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-http-bearer';
import { SupportTokenService, type SupportPrincipal } from '@app/identity';

export const ADMIN_BEARER = 'admin-bearer';

/** Accepts personal access tokens of support-staff accounts, and nothing else (no SCIM or OAuth tokens). */
@Injectable()
export class AdminBearerStrategy extends PassportStrategy(Strategy, ADMIN_BEARER) {
  constructor(private readonly tokens: SupportTokenService) {
    super();
  }

  async validate(token: string): Promise<SupportPrincipal | false> {
    return (await this.tokens.verify(token)) ?? false;
  }
}
