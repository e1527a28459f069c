import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScimError } from '@app/scim';
import { sendScimError } from '../scim/scim-errors.js';
import { RateLimits, retryAfterSeconds } from './rate-limits.service.js';

const MAX_REMEMBERED = 10_000;

/** Marks a request whose SCIM rate was already counted at the door. */
const COUNTED = Symbol('scimRateCounted');

/** What the gate reads of a request: its headers (and its own mark). */
type Headed = { headers: Record<string, string | string[] | undefined> };

interface Remembered {
  tenantId: string;
  ownPerSecond: number | null;
}

/**
 * Counts a tenant's SCIM requests as early as possible. A bearer token that recently authenticated
 * is known here (by its digest), so its request is counted, and refused when over the limit, before
 * the body is read or the token checked again: a flood is refused for the price of a hash and a map
 * lookup, and leaves the CPU to the other tenants. Requests of tokens not known yet are counted by
 * the SCIM guard after authentication (`countAfterAuthentication`).
 */
export class ScimRateGate {
  private readonly known = new Map<string, Remembered>();

  constructor(private readonly limits: RateLimits) {}

  install(fastify: FastifyInstance): void {
    fastify.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
      if (!/^\/scim\//i.test(req.url)) return;
      const digest = bearerDigest(req.headers.authorization);
      const remembered = digest && this.known.get(digest);
      if (!remembered) return;
      (req as unknown as Record<symbol, boolean>)[COUNTED] = true;
      const verdict = await this.limits.scim(remembered.tenantId, remembered.ownPerSecond);
      if (verdict.allowed) return;
      const seconds = retryAfterSeconds(verdict);
      sendScimError(reply, ScimError.rateLimited(`Too many requests for this tenant: retry after ${seconds} seconds`, seconds), req);
      return reply;
    });
  }

  /**
   * Called by the SCIM guard once the token is valid: remembers the token's tenant for the next
   * request, and counts this one unless the door already did. Returns the verdict.
   */
  async countAfterAuthentication(req: Headed, tenantId: string, ownPerSecond: number | null): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
    const digest = bearerDigest(req.headers.authorization);
    if (digest) {
      if (this.known.size >= MAX_REMEMBERED && !this.known.has(digest)) this.known.clear();
      this.known.set(digest, { tenantId, ownPerSecond });
    }
    if ((req as unknown as Record<symbol, boolean>)[COUNTED]) return { allowed: true, retryAfterSeconds: 0 };
    const verdict = await this.limits.scim(tenantId, ownPerSecond);
    return { allowed: verdict.allowed, retryAfterSeconds: retryAfterSeconds(verdict) };
  }

  /** Called when a token failed authentication: it is no longer counted against its tenant. */
  forget(req: Headed): void {
    const digest = bearerDigest(req.headers.authorization);
    if (digest) this.known.delete(digest);
  }
}

function bearerDigest(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string' || header.length > 4096 || !/^bearer\s/i.test(header)) return undefined;
  return createHash('sha256').update(header.slice(7).trim()).digest('base64url');
}
