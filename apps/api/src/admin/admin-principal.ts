import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { Actor } from '@app/directory';
import type { SupportPrincipal } from '@app/identity';

type AdminRequest = { user?: SupportPrincipal; headers: Record<string, string | string[] | undefined> };

function principalOf(ctx: ExecutionContext): SupportPrincipal {
  const principal = ctx.switchToHttp().getRequest<AdminRequest>().user;
  if (!principal) throw new Error('Support principal used on a route without AdminAuthGuard');
  return principal;
}

/** The authenticated support account. */
export const Principal = createParamDecorator((_: unknown, ctx: ExecutionContext): SupportPrincipal => principalOf(ctx));

/** The support account as the provisioning event log records it, with the caller's `x-request-id` when sent. */
export const SupportActor = createParamDecorator((_: unknown, ctx: ExecutionContext): Actor => {
  const principal = principalOf(ctx);
  const header = ctx.switchToHttp().getRequest<AdminRequest>().headers['x-request-id'];
  return { type: 'support', id: principal.accountId, requestId: typeof header === 'string' ? header : undefined };
});
