import { hash } from 'node:crypto';
import { Injectable, type OnApplicationShutdown } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Metrics, type RateLimitedDoor } from '../observability/metrics.js';
import { MemoryRateLimitStore, RedisRateLimitStore, type Bucket, type RateLimitStore, type Verdict } from './rate-limit.store.js';

const ADMIN_AUTH_WINDOW_SECONDS = 15 * 60;

/**
 * Every rate limit of the service, in one place: SCIM requests per tenant, token requests per OAuth
 * client, failed admin authentications per address. Counted in Redis when REDIS_URL is set (shared
 * by every instance), otherwise in this process, where each of WEB_CONCURRENCY workers takes its share.
 */
@Injectable()
export class RateLimits implements OnApplicationShutdown {
  private readonly store: RateLimitStore;
  /** Without shared counters, each worker process allows its share of the limit. */
  private readonly share: number;

  constructor(
    private readonly config: AppConfig,
    private readonly metrics: Metrics,
  ) {
    this.store = config.REDIS_URL ? new RedisRateLimitStore(config.REDIS_URL) : new MemoryRateLimitStore();
    const workers = config.databaseKind === 'mysql' ? config.WEB_CONCURRENCY : 1;
    this.share = config.REDIS_URL ? 1 : 1 / workers;
  }

  /** One SCIM request of a tenant, at the tenant's own rate when support set one. */
  scim(tenantId: string, ownPerSecond: number | null): Promise<Verdict> {
    return this.counted('scim', tenantId, this.store.take(`scim:${tenantId}`, this.scimBucket(ownPerSecond)));
  }

  /**
   * `scim` decided at once, without a promise, when the store can (the memory store of a single
   * instance); undefined when it cannot (Redis), and `scim` must be asked instead.
   */
  scimNow(tenantId: string, ownPerSecond: number | null): Verdict | undefined {
    if (!this.store.takeNow) return undefined;
    return this.tallied('scim', tenantId, this.store.takeNow(`scim:${tenantId}`, this.scimBucket(ownPerSecond)));
  }

  private scimBucket(ownPerSecond: number | null): Bucket {
    const perSecond = ownPerSecond ?? this.config.SCIM_RATE_LIMIT_PER_SECOND;
    // A tenant's own rate keeps the default's ratio of burst to rate (at least one second's worth).
    const burst = Math.max(perSecond, Math.round((perSecond * this.config.SCIM_RATE_LIMIT_BURST) / this.config.SCIM_RATE_LIMIT_PER_SECOND));
    return this.bucket(perSecond, burst);
  }

  /**
   * One token request: of a client when the request names it in its Authorization header, else of
   * an address, which may carry many clients (a cloud's shared egress), so it gets ten clients' worth.
   */
  oauthToken(clientId: string | undefined, ip: string): Promise<Verdict> {
    const perMinute = this.config.OAUTH_TOKEN_RATE_LIMIT_PER_MINUTE * (clientId ? 1 : 10);
    const key = clientId ? `token:client:${digest(clientId)}` : `token:address:${digest(ip)}`;
    return this.counted('oauth-token', undefined, this.store.take(key, this.bucket(perMinute / 60, perMinute)));
  }

  /**
   * Reserves an admin authentication attempt of an address before the token is checked, so that
   * parallel guesses cannot pass the limit; an attempt that succeeds is given back (`adminAuthSucceeded`).
   */
  adminAuthAttempt(ip: string): Promise<Verdict> {
    return this.counted('admin-auth', undefined, this.store.take(`admin-auth:${digest(ip)}`, this.adminAuthBucket()));
  }

  async adminAuthSucceeded(ip: string): Promise<void> {
    await this.store.refund(`admin-auth:${digest(ip)}`, this.adminAuthBucket());
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
  }

  /** Counts a refusal in the metrics (rate_limit_rejections_total). */
  private counted(door: RateLimitedDoor, tenantId: string | undefined, verdict: Promise<Verdict>): Promise<Verdict> {
    return verdict.then((result) => this.tallied(door, tenantId, result));
  }

  private tallied(door: RateLimitedDoor, tenantId: string | undefined, verdict: Verdict): Verdict {
    if (!verdict.allowed) this.metrics.rateLimited(door, tenantId);
    return verdict;
  }

  private adminAuthBucket(): Bucket {
    const failures = this.config.ADMIN_AUTH_MAX_FAILURES;
    return this.bucket(failures / ADMIN_AUTH_WINDOW_SECONDS, failures);
  }

  private bucket(perSecond: number, burst: number): Bucket {
    return { perSecond: perSecond * this.share, burst: Math.max(1, Math.floor(burst * this.share)) };
  }
}

/** Keys carry no client id or address in clear (Redis is shared infrastructure). */
function digest(value: string): string {
  return hash('sha256', value, 'base64url').slice(0, 22);
}

/** Whole seconds for a `Retry-After` header, at least one. */
export function retryAfterSeconds(verdict: Verdict): number {
  return Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
}
