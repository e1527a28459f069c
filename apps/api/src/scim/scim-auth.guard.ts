import { Injectable } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { ScimError } from '@app/scim';
import { SCIM_BEARER } from './scim-bearer.strategy.js';

/** Requires a valid bearer token; anything else is a SCIM 401. */
@Injectable()
export class ScimAuthGuard extends AuthGuard([SCIM_BEARER]) {
  handleRequest<T>(error: unknown, principal: T | false): T {
    if (error) throw error;
    if (!principal) throw new ScimError(401, undefined, 'A valid bearer token is required: it is missing, unknown, expired or revoked');
    return principal;
  }
}
