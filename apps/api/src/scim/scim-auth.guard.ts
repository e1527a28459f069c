import { Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { TenantService } from '@app/directory';
import { ScimError } from '@app/scim';
import type { FastifyRequest } from 'fastify';
import { ScimRateGate } from '../limits/scim-rate-gate.js';
import { OAUTH_BEARER } from './oauth-access-token.strategy.js';
import type { ScimPrincipal } from './scim-principal.js';
import { SCIM_BEARER } from './scim-bearer.strategy.js';

const UNAUTHORIZED = 'A valid bearer token is required: it is missing, unknown, expired or revoked';

/**
 * Requires a valid bearer token (a per-tenant SCIM token or an OAuth access token); anything else is a
 * SCIM 401. A valid token of a suspended tenant gets a SCIM 403; of a deleted tenant, a 401. A
 * tenant over its rate limit gets a SCIM 429 with Retry-After.
 */
@Injectable()
export class ScimAuthGuard extends AuthGuard([SCIM_BEARER, OAUTH_BEARER]) {
  constructor(
    private readonly tenants: TenantService,
    private readonly gate: ScimRateGate,
  ) {
    super();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest & { user?: ScimPrincipal }>();
    try {
      await super.canActivate(context);
    } catch (error) {
      if (error instanceof ScimError && error.status === 401) this.gate.forget(req);
      throw error;
    }
    const principal = req.user;
    if (!principal) return true;
    const door = await this.tenants.door(principal.tenantId);
    // A deleted tenant's credentials are dead, though a recently verified one may still be cached.
    if (door.status === 'deleted') throw new ScimError(401, undefined, UNAUTHORIZED);
    if (door.status === 'suspended') throw new ScimError(403, undefined, 'The tenant is suspended: Atea support can resume it');
    const verdict = await this.gate.countAfterAuthentication(req, principal.tenantId, door.scimRateLimitPerSecond);
    if (!verdict.allowed) {
      throw ScimError.rateLimited(`Too many requests for this tenant: retry after ${verdict.retryAfterSeconds} seconds`, verdict.retryAfterSeconds);
    }
    return true;
  }

  handleRequest<T>(error: unknown, principal: T | false): T {
    if (error) throw error;
    if (!principal) throw new ScimError(401, undefined, UNAUTHORIZED);
    return principal;
  }
}
