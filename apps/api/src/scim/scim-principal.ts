import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

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
