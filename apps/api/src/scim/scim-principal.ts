import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor } from '@app/directory';

/** Who is calling the SCIM door, as established by the bearer strategy. */
export interface ScimPrincipal {
  tenantId: string;
  /** `scim-token` for a long-lived SCIM token, `oauth` for an access token of our authorization server. */
  via: 'scim-token' | 'oauth';
  credentialId: string;
}

/** The tenant of the authenticated caller: the only source of tenancy for SCIM calls. */
export const TenantId = createParamDecorator((_: unknown, ctx: ExecutionContext): string => {
  const principal = ctx.switchToHttp().getRequest<{ user?: ScimPrincipal }>().user;
  if (!principal) throw new Error('TenantId used on a route without ScimAuthGuard');
  return principal.tenantId;
});

/** The caller as the provisioning event log records it, with Entra's `client-request-id` when sent. */
export const ScimActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const req = ctx.switchToHttp().getRequest<{ user?: ScimPrincipal; headers: Record<string, string | string[] | undefined> }>();
  if (!req.user) throw new Error('ScimActor used on a route without ScimAuthGuard');
  const header = req.headers['client-request-id'] ?? req.headers['x-request-id'];
  return {
    type: req.user.via === 'oauth' ? 'oauth-client' : 'scim-token',
    id: req.user.credentialId,
    requestId: typeof header === 'string' ? header : undefined,
  };
});
