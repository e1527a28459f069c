import { describe, expect, it } from 'vitest';
import type { Database } from '@app/database';
import { hashToken, ScimTokenService } from './scim-token.service.js';

describe('ScimTokenService', () => {
  it('accepts a valid token, and recording its use never throws (bookkeeping never fails a request)', async () => {
    const token = 'atea_scim_abc';
    const entity = { id: 'tok-1', tenantId: 'tenant-1', tokenHash: hashToken(token), revokedAt: null, expiresAt: null, lastUsedAt: null };
    let attempted = 0;
    const db = {
      read: async (work: (m: unknown) => unknown) => work({ findOneBy: async () => entity }),
      transaction: async () => {
        attempted++;
        throw Object.assign(new Error('Deadlock found when trying to get lock; try restarting transaction'), { errno: 1213 });
      },
    } as unknown as Database;
    const service = new ScimTokenService(db);
    await expect(service.verify(token)).resolves.toEqual({ tenantId: 'tenant-1', tokenId: 'tok-1' });
    expect(attempted).toBe(0);
    await expect(service.recordUse('tok-1')).resolves.toBeUndefined();
    expect(attempted).toBe(1);
    // Written at most once a minute per token.
    await service.recordUse('tok-1');
    expect(attempted).toBe(1);
  });
});
