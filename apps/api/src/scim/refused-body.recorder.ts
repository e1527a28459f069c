import { Injectable, Logger } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { describeFailure } from '@app/database';
import { EventLog, TenantService, type EventDraft } from '@app/directory';
import { ScimError } from '@app/scim';
import { OAuthAccessTokenStrategy } from './oauth-access-token.strategy.js';
import { ScimBearerStrategy } from './scim-bearer.strategy.js';
import { actorOf, type ScimPrincipal, type ScimRequest } from './scim-principal.js';

const OPERATIONS: Record<string, string> = { POST: 'create', PUT: 'replace', PATCH: 'patch', DELETE: 'delete' };
const RESOURCE_TYPES: Record<string, string> = { users: 'User', groups: 'Group' };

/**
 * Records a SCIM request whose body was refused before it reached a route (malformed JSON, a media
 * type that is not JSON, a body too large) in the provisioning events of the caller's tenant, when
 * the caller's bearer token is valid: those requests never reach the guard, yet they are exactly
 * what a support engineer looks for when "Entra says it failed".
 */
@Injectable()
export class RefusedBodyRecorder {
  private readonly logger = new Logger('SCIM');

  constructor(
    private readonly scimTokens: ScimBearerStrategy,
    private readonly oauthTokens: OAuthAccessTokenStrategy,
    private readonly tenants: TenantService,
    private readonly events: EventLog,
  ) {}

  /** Never throws: the caller's own error answer matters more. */
  async record(req: FastifyRequest, error: ScimError): Promise<void> {
    try {
      const principal = await this.principal(req);
      if (!principal || (await this.tenants.status(principal.tenantId)) !== 'active') return;
      const [resource, id] = new URL(req.url, 'http://scim').pathname.split('/').slice(3);
      const draft: EventDraft = {
        actor: actorOf(principal, req as unknown as ScimRequest),
        operation: OPERATIONS[req.method] ?? req.method.toLowerCase().slice(0, 32),
        resourceType: RESOURCE_TYPES[resource?.toLowerCase() ?? ''] ?? 'Request',
        resourceId: id ? decodeURIComponent(id) : null,
      };
      await this.events.recordFailure(principal.tenantId, draft, error);
    } catch (failure) {
      this.logger.warn(`Could not record a refused request body: ${describeFailure(failure)}`);
    }
  }

  private async principal(req: FastifyRequest): Promise<ScimPrincipal | null> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return null;
    // The strategies note refusals on the request they are given: a scratch one here.
    const scratch = { headers: req.headers } as ScimRequest;
    return (await this.scimTokens.validate(scratch, token)) || (await this.oauthTokens.validate(scratch, token)) || null;
  }
}
