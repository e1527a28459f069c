import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScimError } from '@app/scim';
import { sendScimError } from '../scim/scim-errors.js';
import { RateLimits, retryAfterSeconds } from './rate-limits.service.js';

const MAX_REMEMBERED = 10_000;

/**
 * A refused request of a known token is answered after a pause (up to a second, the time until the
 * bucket has a token again), so that a client sending as fast as it is answered cannot turn its
 * refusals into a flood of its own. At most this many refusals of one tenant wait at once; beyond
 * that they are answered at once.
 */
const MAX_HELD_PER_TENANT = 64;
const MAX_HOLD_MS = 1000;

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
  private readonly held = new Map<string, number>();

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
      await this.hold(remembered.tenantId, verdict.retryAfterMs);
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

  /** Pauses a refusal (see MAX_HELD_PER_TENANT). */
  private async hold(tenantId: string, retryAfterMs: number): Promise<void> {
    const holding = this.held.get(tenantId) ?? 0;
    if (holding >= MAX_HELD_PER_TENANT) return;
    this.held.set(tenantId, holding + 1);
    try {
      await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_HOLD_MS, Math.max(retryAfterMs, 100))));
    } finally {
      const left = (this.held.get(tenantId) ?? 1) - 1;
      if (left > 0) this.held.set(tenantId, left);
      else this.held.delete(tenantId);
    }
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
