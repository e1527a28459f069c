import {
  ForbiddenException,
  HttpException,
  HttpStatus,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AccountRole, SupportPrincipal } from '@app/identity';
import { RateLimits, retryAfterSeconds } from '../limits/rate-limits.service.js';
import { ADMIN_BEARER } from './admin-bearer.strategy.js';

/** Support roles, weakest first: each role may do what the roles before it may. */
export const ROLE_RANK: Record<AccountRole, number> = { viewer: 0, operator: 1, admin: 2 };
const ROLES_KEY = 'admin:role';

/** The weakest support role allowed to call a route (or every route of a controller); `viewer` when absent. */
export const Roles = (role: AccountRole) => SetMetadata(ROLES_KEY, role);

/**
 * Requires a valid personal access token of a support account: anything else is a 401. An address
 * that failed ADMIN_AUTH_MAX_FAILURES times within 15 minutes gets 429 with Retry-After, whatever
 * it sends, until its failures age out: tokens cannot be guessed at speed.
 */
@Injectable()
export class AdminAuthGuard extends AuthGuard(ADMIN_BEARER) {
  constructor(private readonly limits: RateLimits) {
    super();
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const req = context.switchToHttp().getRequest<FastifyRequest>();
    const verdict = await this.limits.adminAuthAttempt(req.ip);
    if (!verdict.allowed) {
      const seconds = retryAfterSeconds(verdict);
      context.switchToHttp().getResponse<FastifyReply>().header('Retry-After', String(seconds));
      throw new HttpException(
        { statusCode: 429, message: `Too many failed authentications from this address; retry after ${seconds} seconds`, error: 'Too Many Requests' },
        HttpStatus.TOO_MANY_REQUESTS,
      );
    }
    let authenticated = false;
    try {
      authenticated = (await super.canActivate(context)) as boolean;
      return authenticated;
    } finally {
      // Only failures count: a request that authenticated gives its attempt back.
      if (authenticated) await this.limits.adminAuthSucceeded(req.ip);
    }
  }

  handleRequest<T>(error: unknown, principal: T | false, _info: unknown, context: ExecutionContext): T {
    if (error) throw error;
    if (!principal) {
      const reply = context.switchToHttp().getResponse<FastifyReply>();
      const sent = Boolean(context.switchToHttp().getRequest<{ headers: Record<string, unknown> }>().headers.authorization);
      reply.header('WWW-Authenticate', sent ? 'Bearer realm="admin", error="invalid_token"' : 'Bearer realm="admin"');
      throw new UnauthorizedException('A valid support access token is required: it is missing, unknown, expired or revoked');
    }
    return principal;
  }
}

/** Compares the caller's role with the route's `@Roles`: authenticated but too weak is a 403. */
@Injectable()
export class RolesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const required = this.reflector.getAllAndOverride<AccountRole | undefined>(ROLES_KEY, [context.getHandler(), context.getClass()]) ?? 'viewer';
    const principal = context.switchToHttp().getRequest<{ user?: SupportPrincipal }>().user;
    if (!principal) throw new UnauthorizedException('A valid support access token is required');
    if (ROLE_RANK[principal.role] < ROLE_RANK[required]) {
      throw new ForbiddenException(`This requires the ${required} role; the token's account is ${principal.role}`);
    }
    return true;
  }
}
