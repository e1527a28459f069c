import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor, AuthFailureReason } from '@app/directory';

/** Who is calling the SCIM door, as established by the bearer strategy. */
export interface ScimPrincipal {
  tenantId: string;
  /** `scim-token` for a long-lived SCIM token, `oauth` for an access token of our authorization server. */
  via: 'scim-token' | 'oauth';
  credentialId: string;
}

/** A credential of a known tenant that a bearer strategy refused, kept on the request so the refusal can be counted for the tenant. */
export interface RefusedCredential {
  tenantId: string;
  reason: AuthFailureReason;
  via: ScimPrincipal['via'];
  credentialId: string;
}

export type ScimRequest = { user?: ScimPrincipal; refused?: RefusedCredential; headers: Record<string, string | string[] | undefined> };

/** Entra's `client-request-id` (or the caller's `x-request-id`) of a request. */
export function requestIdOf(req: Pick<ScimRequest, 'headers'>): string | undefined {
  const header = req.headers['client-request-id'] ?? req.headers['x-request-id'];
  return typeof header === 'string' ? header : undefined;
}

/** The tenant of the authenticated caller: the only source of tenancy for SCIM calls. */
export const TenantId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const principal = ctx.switchToHttp().getRequest<{ user?: ScimPrincipal }>().user;
  if (!principal) throw new Error('TenantId used on a route without ScimAuthGuard');
  return principal.tenantId;
});

/** The caller as the provisioning event log records it, with Entra's `client-request-id` when sent. */
export const ScimActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<ScimRequest>();
  if (!req.user) throw new Error('ScimActor used on a route without ScimAuthGuard');
  return actorOf(req.user, req);
});

/** A SCIM caller (authenticated or refused) as the provisioning event log records it. */
export function actorOf(caller: Pick<ScimPrincipal, 'via' | 'credentialId'>, req: Pick<ScimRequest, 'headers'>): Actor {
  return { type: caller.via === 'oauth' ? 'oauth-client' : 'scim-token', id: caller.credentialId, requestId: requestIdOf(req) };
}
