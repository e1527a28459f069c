import { MemoryRateLimitStore } from './rate-limit.store.js';

describe('MemoryRateLimitStore', () => {
  it('refuses once the bucket is empty and says when a token is back', async () => {
    const store = new MemoryRateLimitStore();
    const bucket = { perSecond: 1, burst: 2 };
    expect((await store.take('k', bucket)).allowed).toBe(true);
    expect((await store.take('k', bucket)).allowed).toBe(true);
    const refused = await store.take('k', bucket);
    expect(refused.allowed).toBe(false);
    expect(refused.retryAfterMs).toBeGreaterThan(900);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(1000);
  });

  it("keeps a slow bucket's count while busy fast buckets are swept", async () => {
    const store = new MemoryRateLimitStore();
    // Failed admin authentications: 2 in 15 minutes.
    const slow = { perSecond: 2 / 900, burst: 2 };
    await store.take('admin-auth:guesser', slow);
    await store.take('admin-auth:guesser', slow);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // SCIM traffic that fills up again within microseconds: enough of it to trigger a sweep.
    const fast = { perSecond: 1_000_000, burst: 10 };
    for (let i = 0; i < 10_000; i++) await store.take(`scim:${i % 10}`, fast);
    expect((await store.take('admin-auth:guesser', slow)).allowed).toBe(false);
  });
});
