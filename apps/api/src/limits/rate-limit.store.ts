import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';

/** A token bucket: `burst` tokens at most, refilled at `perSecond` tokens a second. */
export interface Bucket {
  perSecond: number;
  burst: number;
}

export interface Verdict {
  allowed: boolean;
  /** When not allowed: how long until one token is there again. */
  retryAfterMs: number;
}

/**
 * Where rate-limit counters live. Taking a token is atomic, so limits hold under parallel requests:
 * in one process by construction, across instances through Redis's single-threaded scripts.
 */
export interface RateLimitStore {
  take(key: string, bucket: Bucket, cost?: number): Promise<Verdict>;
  /** `take` decided at once, by a store that can (the memory store); absent otherwise. */
  takeNow?(key: string, bucket: Bucket): Verdict;
  /** Gives back a token taken for an attempt that turned out not to count. */
  refund(key: string, bucket: Bucket): Promise<void>;
  close(): Promise<void>;
}

/** Counters in this process: the default of a single instance, needing nothing. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly buckets = new Map<string, { tokens: number; at: number; fullAfterMs: number }>();
  private sweeps = 0;

  async take(key: string, bucket: Bucket, cost = 1): Promise<Verdict> {
    return this.decide(key, bucket, cost);
  }

  takeNow(key: string, bucket: Bucket): Verdict {
    return this.decide(key, bucket, 1);
  }

  async refund(key: string, bucket: Bucket): Promise<void> {
    this.decide(key, bucket, -1);
  }

  async close(): Promise<void> {
    this.buckets.clear();
  }

  private decide(key: string, bucket: Bucket, cost: number): Verdict {
    const now = performance.now();
    const state = this.buckets.get(key);
    const tokens = state ? Math.min(bucket.burst, state.tokens + ((now - state.at) / 1000) * bucket.perSecond) : bucket.burst;
    if (tokens < cost) return { allowed: false, retryAfterMs: ((cost - tokens) / bucket.perSecond) * 1000 };
    if (state) {
      state.tokens = Math.min(bucket.burst, tokens - cost);
      state.at = now;
    } else {
      this.buckets.set(key, { tokens: Math.min(bucket.burst, tokens - cost), at: now, fullAfterMs: (bucket.burst / bucket.perSecond) * 1000 });
    }
    if (++this.sweeps >= 10_000) this.sweep(now);
    return ALLOWED;
  }

  /**
   * Forgets buckets that have filled up again (they hold nothing a fresh bucket would not), each by
   * its own refill time: a SCIM bucket is full again after seconds, an admin-authentication bucket
   * after 15 minutes.
   */
  private sweep(now: number): void {
    this.sweeps = 0;
    for (const [key, state] of this.buckets) if (now - state.at > state.fullAfterMs) this.buckets.delete(key);
  }
}

const ALLOWED: Verdict = Object.freeze({ allowed: true, retryAfterMs: 0 });

/**
 * The token bucket as one Lua script: read, refill, take and write happen atomically on the Redis
 * server, with the server's clock, so every instance counts against the same bucket.
 */
const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = t[1] * 1000 + math.floor(t[2] / 1000)
local per_ms = tonumber(ARGV[1]) / 1000
local burst = tonumber(ARGV[2])
local cost = tonumber(ARGV[3])
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(state[1]) or burst
local at = tonumber(state[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * per_ms)
if tokens < cost then
  return {0, math.ceil((cost - tokens) / per_ms)}
end
redis.call('HSET', KEYS[1], 'tokens', tostring(math.min(burst, tokens - cost)), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil(burst / per_ms) + 1000)
return {1, 0}
`;

/**
 * Counters in Redis, shared by every instance. Redis is an optional companion: when it does not
 * answer within 250 ms, the request is let through (a limiter outage must not become a service
 * outage) and the problem is logged once until Redis answers again.
 */
export class RedisRateLimitStore implements RateLimitStore {
  private readonly logger = new Logger('RateLimits');
  private readonly redis: Redis;
  private failing = false;

  constructor(url: string) {
    this.redis = new Redis(url, {
      lazyConnect: false,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: 250,
      connectTimeout: 2000,
      keyPrefix: 'atea:rl:',
    });
    // Connection errors are reported once, through take(); ioredis reconnects by itself.
    this.redis.on('error', () => undefined);
    this.redis.defineCommand('ateaTake', { numberOfKeys: 1, lua: TAKE_SCRIPT });
  }

  take(key: string, bucket: Bucket, cost = 1): Promise<Verdict> {
    return this.run(key, bucket, cost);
  }

  async refund(key: string, bucket: Bucket): Promise<void> {
    await this.run(key, bucket, -1);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }

  private async run(key: string, bucket: Bucket, cost: number): Promise<Verdict> {
    try {
      const [allowed, wait] = (await (this.redis as unknown as { ateaTake: (...args: unknown[]) => Promise<[number, number]> }).ateaTake(
        key,
        bucket.perSecond,
        bucket.burst,
        cost,
      )) as [number, number];
      if (this.failing) {
        this.failing = false;
        this.logger.log('Redis answers again: rate limits are counted across instances');
      }
      return { allowed: allowed === 1, retryAfterMs: wait };
    } catch (error) {
      if (!this.failing) {
        this.failing = true;
        this.logger.warn(`Redis does not answer (${(error as Error).name}); requests are let through unlimited until it does`);
      }
      return { allowed: true, retryAfterMs: 0 };
    }
  }
}
