import { hash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ScimError } from '@app/scim';
import { sendScimError } from '../scim/scim-errors.js';
import type { Metrics } from '../observability/metrics.js';
import { RateLimits, retryAfterSeconds } from './rate-limits.service.js';
import type { Verdict } from './rate-limit.store.js';

const MAX_REMEMBERED = 10_000;
const SCIM_PATH = /^\/scim\//i;

/**
 * A refused request of a known token is answered after a pause (about the time until the bucket has
 * a token again, at least 100 ms, at most a second), so that a client sending as fast as it is
 * answered cannot turn its refusals into a flood of its own. Each pause is drawn between half and
 * one and a half times that: paused alike, a client's connections would come back together, in
 * waves that stall everyone else's requests. At most this many refusals of one tenant wait at once;
 * beyond that they are answered at once.
 */
const MAX_HELD_PER_TENANT = 64;
const MAX_HOLD_MS = 1000;

/**
 * Requests of one tenant that wait for a turn (see SCIM_CONCURRENCY_PER_TENANT); beyond that they
 * are refused at once with 429.
 */
const MAX_WAITING_PER_TENANT = 256;

/** What the SCIM guard learns of a request's rate. */
export interface GateVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
}
const LET_THROUGH: GateVerdict = Object.freeze({ allowed: true, retryAfterSeconds: 0 });

/** Marks a request whose SCIM rate was already counted at the door. */
const COUNTED = Symbol('scimRateCounted');
/** The digest of a request's bearer token, once computed. */
const DIGEST = Symbol('scimBearerDigest');

/** What the gate reads of a request: its headers (and its own mark). */
type Headed = { headers: Record<string, string | string[] | undefined> };

interface Remembered {
  tenantId: string;
  ownPerSecond: number | null;
}

/** A tenant's requests in this instance: how many are worked on, and the turns of those waiting. */
interface Lane {
  running: number;
  waiting: (() => void)[];
}

/**
 * Counts a tenant's SCIM requests as early as possible. A bearer token that recently authenticated
 * is known here (by its digest), so its request is counted, and refused when over the limit, before
 * the body is read or the token checked again: a flood is refused for the price of a hash and a map
 * lookup, and leaves the CPU to the other tenants. Requests of tokens not known yet are counted by
 * the SCIM guard after authentication (`countAfterAuthentication`).
 *
 * Within its rate, a tenant has at most `concurrency` requests worked on at once in this instance;
 * the others wait their turn in order. A tenant that sends its whole quota at once then takes a
 * few of the instance's database connections and event-loop turns at a time, not all of them, and
 * another tenant's request never queues behind more than that.
 */
export class ScimRateGate {
  private readonly known = new Map<string, Remembered>();
  private readonly held = new Map<string, number>();
  private readonly lanes = new Map<string, Lane>();

  constructor(
    private readonly limits: RateLimits,
    private readonly metrics: Metrics,
    private readonly concurrency: number,
  ) {}

  install(fastify: FastifyInstance): void {
    // A callback hook: requests of tokens not known here pass on at once, without a promise of their own.
    fastify.addHook('onRequest', (req: FastifyRequest, reply: FastifyReply, done: (error?: Error) => void) => {
      if (!SCIM_PATH.test(req.url)) return done();
      const digest = digestOf(req);
      const remembered = digest && this.known.get(digest);
      if (!remembered) return done();
      (req as unknown as Record<symbol, boolean>)[COUNTED] = true;
      // The common case is decided at once: the memory store's verdict, and a free place in the
      // tenant's line. Redis, a refusal or a full line take the asynchronous way.
      const verdict = this.limits.scimNow(remembered.tenantId, remembered.ownPerSecond);
      if (verdict?.allowed && this.enter(remembered.tenantId, reply)) return done();
      this.admit(req, reply, remembered, verdict).then((answered) => answered || done(), done);
    });
  }

  /**
   * Counts a request of a known token (unless `counted` is its verdict already); true when it was
   * answered here (refused) or nobody is left to answer.
   */
  private async admit(req: FastifyRequest, reply: FastifyReply, remembered: Remembered, counted?: Verdict): Promise<boolean> {
    const verdict = counted ?? (await this.limits.scim(remembered.tenantId, remembered.ownPerSecond));
    if (verdict.allowed) {
      const turn = await this.turn(remembered.tenantId, reply);
      if (turn === 'go') return false;
      if (turn === 'gone') {
        reply.hijack();
        return true;
      }
      this.metrics.rateLimited('scim', remembered.tenantId);
      sendScimError(reply, ScimError.rateLimited('Too many requests of this tenant at once: retry after 1 second', 1), req);
      return true;
    }
    await this.hold(remembered.tenantId, verdict.retryAfterMs);
    const seconds = retryAfterSeconds(verdict);
    sendScimError(reply, ScimError.rateLimited(`Too many requests for this tenant: retry after ${seconds} seconds`, seconds), req);
    return true;
  }

  /**
   * Waits until fewer than `concurrency` requests of the tenant are worked on, and holds a place
   * until the response is sent or the client goes. 'full' when too many already wait, 'gone' when
   * the client went while it waited.
   */
  private async turn(tenantId: string, reply: FastifyReply): Promise<'go' | 'full' | 'gone'> {
    if (this.enter(tenantId, reply)) return 'go';
    const line = this.lanes.get(tenantId)!.waiting;
    if (line.length >= MAX_WAITING_PER_TENANT) return 'full';
    // The place of a request that finished passes to the first in line (running stays as it is).
    const outcome = await new Promise<'go' | 'gone'>((resolve) => {
      const go = () => {
        reply.raw.off('close', leave);
        resolve('go');
      };
      const leave = () => {
        const at = line.indexOf(go);
        if (at >= 0) line.splice(at, 1);
        resolve('gone');
      };
      line.push(go);
      reply.raw.once('close', leave);
    });
    if (outcome === 'go') reply.raw.on('close', () => this.finished(tenantId));
    return outcome;
  }

  /** Takes a place among the tenant's requests worked on, held until the response closes; false when none is free. */
  private enter(tenantId: string, reply: FastifyReply): boolean {
    let lane = this.lanes.get(tenantId);
    if (!lane) {
      lane = { running: 0, waiting: [] };
      this.lanes.set(tenantId, lane);
    }
    if (lane.running >= this.concurrency) return false;
    lane.running++;
    reply.raw.on('close', () => this.finished(tenantId));
    return true;
  }

  private finished(tenantId: string): void {
    const lane = this.lanes.get(tenantId);
    if (!lane) return;
    const next = lane.waiting.shift();
    if (next) next();
    else if (--lane.running === 0) this.lanes.delete(tenantId);
  }

  /**
   * Called by the SCIM guard once the token is valid: remembers the token's tenant for the next
   * request, and counts this one unless the door already did. Returns the verdict.
   */
  countAfterAuthentication(req: Headed, tenantId: string, ownPerSecond: number | null): GateVerdict | Promise<GateVerdict> {
    const digest = digestOf(req);
    if (digest) {
      if (this.known.size >= MAX_REMEMBERED && !this.known.has(digest)) this.known.clear();
      this.known.set(digest, { tenantId, ownPerSecond });
    }
    // Counted at the door already (the usual case): answered without a promise.
    if ((req as unknown as Record<symbol, boolean>)[COUNTED]) return LET_THROUGH;
    return this.limits.scim(tenantId, ownPerSecond).then((verdict) => ({ allowed: verdict.allowed, retryAfterSeconds: retryAfterSeconds(verdict) }));
  }

  /** Pauses a refusal (see MAX_HELD_PER_TENANT). */
  private async hold(tenantId: string, retryAfterMs: number): Promise<void> {
    const holding = this.held.get(tenantId) ?? 0;
    if (holding >= MAX_HELD_PER_TENANT) return;
    this.held.set(tenantId, holding + 1);
    try {
      const pause = Math.min(MAX_HOLD_MS, Math.max(retryAfterMs, 100)) * (0.5 + Math.random());
      await new Promise((resolve) => setTimeout(resolve, Math.min(MAX_HOLD_MS, pause)));
    } finally {
      const left = (this.held.get(tenantId) ?? 1) - 1;
      if (left > 0) this.held.set(tenantId, left);
      else this.held.delete(tenantId);
    }
  }

  /** Called when a token failed authentication: it is no longer counted against its tenant. */
  forget(req: Headed): void {
    const digest = digestOf(req);
    if (digest) this.known.delete(digest);
  }
}

/** The digest of the request's bearer token, computed once per request. */
function digestOf(req: Headed): string | undefined {
  const marked = req as Headed & { [DIGEST]?: string | null };
  if (marked[DIGEST] === undefined) marked[DIGEST] = bearerDigest(req.headers.authorization) ?? null;
  return marked[DIGEST] ?? undefined;
}

function bearerDigest(header: string | string[] | undefined): string | undefined {
  if (typeof header !== 'string' || header.length > 4096 || !/^bearer\s/i.test(header)) return undefined;
  return hash('sha256', header.slice(7).trim(), 'base64url');
}
