import { Injectable, type ExecutionContext } from '@nestjs/common';
import { AuthGuard } from '@nestjs/passport';
import { AuthFailureLog, TenantService } from '@app/directory';
import { OAuthClientService, ScimTokenService } from '@app/identity';
import { ScimError } from '@app/scim';
import type { FastifyRequest } from 'fastify';
import { ScimRateGate } from '../limits/scim-rate-gate.js';
import { OAUTH_BEARER } from './oauth-access-token.strategy.js';
import { actorOf, type ScimRequest } from './scim-principal.js';
import { SCIM_BEARER } from './scim-bearer.strategy.js';

const UNAUTHORIZED = 'A valid bearer token is required: it is missing, unknown, expired or revoked';

/**
 * Requires a valid bearer token (a per-tenant SCIM token or an OAuth access token); anything else is a
 * SCIM 401. A valid token of a suspended tenant gets a SCIM 403; of a deleted tenant, a 401. Refusals
 * of credentials of a known tenant (expired, revoked, wrong audience, suspended) are counted in that
 * tenant's provisioning events. A tenant over its rate limit gets a SCIM 429 with Retry-After. A
 * call let through is noted as its SCIM token's or OAuth client's last use.
 */
@Injectable()
export class ScimAuthGuard extends AuthGuard([SCIM_BEARER, OAUTH_BEARER]) {
  constructor(
    private readonly tenants: TenantService,
    private readonly gate: ScimRateGate,
    private readonly failures: AuthFailureLog,
    private readonly clients: OAuthClientService,
    private readonly scimTokens: ScimTokenService,
  ) {
    super();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<ScimRequest>();
    try {
      await super.canActivate(context);
    } catch (error) {
      if (error instanceof ScimError && error.status === 401) this.gate.forget(req);
      const refused = req.refused;
      if (refused && (await this.tenants.status(refused.tenantId)) !== 'deleted') {
        await this.failures.count(refused.tenantId, { reason: refused.reason, actor: actorOf(refused, req), status: 401 });
      }
      throw error;
    }
    const principal = req.user;
    if (!principal) return true;
    const door = await this.tenants.door(principal.tenantId);
    // A deleted tenant's credentials are dead, though a recently verified one may still be cached.
    if (door.status === 'deleted') throw new ScimError(401, undefined, UNAUTHORIZED);
    if (door.status === 'suspended') {
      await this.failures.count(principal.tenantId, { reason: 'tenant-suspended', actor: actorOf(principal, req), status: 403 });
      throw new ScimError(403, undefined, 'The tenant is suspended: Atea support can resume it');
    }
    // Both answer at once in the usual case (counted at the door, last use written this minute).
    const counted = this.gate.countAfterAuthentication(req, principal.tenantId, door.scimRateLimitPerSecond);
    const verdict = counted instanceof Promise ? await counted : counted;
    if (!verdict.allowed) {
      throw ScimError.rateLimited(`Too many requests for this tenant: retry after ${verdict.retryAfterSeconds} seconds`, verdict.retryAfterSeconds);
    }
    // The tenant's health shows the last call let through, reads included.
    const written = principal.via === 'oauth' ? this.clients.recordUse(principal.credentialId) : this.scimTokens.recordUse(principal.credentialId);
    if (written) await written;
    return true;
  }

  handleRequest<T>(error: unknown, principal: T | false): T {
    if (error) throw error;
    if (!principal) throw new ScimError(401, undefined, UNAUTHORIZED);
    return principal;
  }
}
