import { hash, randomBytes, randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { IsNull, Not } from 'typeorm';
import { Database } from '@app/database';
import { LastUse } from '../last-use.js';
import type { InTransaction } from '../transaction-hook.js';
import { ScimTokenEntity } from './scim-token.entity.js';

const TOKEN_PREFIX = 'atea_scim_';
const DAY_MS = 86_400_000;
/**
 * A verified token is trusted this long without asking the database again. Revoking on this
 * instance takes effect at once; on other instances within this time.
 */
const VERIFIED_TTL_MS = 10_000;
const MAX_CACHED = 10_000;

interface Verified {
  principal: ScimTokenPrincipal;
  /** A revoked token stays revoked: remembered too, so a client that keeps calling with it costs no query. */
  revoked: boolean;
  expiresAt: number | null;
  until: number;
}

export interface IssuedScimToken {
  id: string;
  token: string;
  expiresAt: string | null;
}

export interface ScimTokenPrincipal {
  tenantId: string;
  tokenId: string;
}

/** A token of a tenant that is refused. */
export interface ScimTokenRefusal extends ScimTokenPrincipal {
  reason: 'expired' | 'revoked';
}

export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

@Injectable()
export class ScimTokenService {
  /** Recently verified tokens by hash: Entra calls many times a second with the same token. */
  private readonly verified = new Map<string, Verified>();
  private readonly logger = new Logger('ScimTokens');
  private readonly lastUse = new LastUse(
    'SCIM token',
    (id, at) => this.db.transaction((m) => m.update(ScimTokenEntity, { id }, { lastUsedAt: at })),
    this.logger,
  );

  constructor(private readonly db: Database) {}

  /** Issues a token; the plaintext is returned once and never stored. `expiresInDays` 0 means no expiry. */
  async issue(
    tenantId: string,
    options: { expiresInDays?: number; description?: string } = {},
    audit?: InTransaction<ScimTokenEntity>,
  ): Promise<IssuedScimToken> {
    const days = options.expiresInDays ?? 365;
    if (!Number.isInteger(days) || days < 0 || days > 3650) throw new RangeError('expiresInDays must be a whole number from 0 to 3650');
    const token = `${TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
    const now = new Date();
    const entity = Object.assign(new ScimTokenEntity(), {
      id: randomUUID(),
      tenantId,
      tokenHash: hashToken(token),
      tokenPrefix: token.slice(0, 14),
      description: options.description?.slice(0, 200) ?? null,
      createdAt: now,
      expiresAt: days === 0 ? null : new Date(now.getTime() + days * DAY_MS),
      revokedAt: null,
      lastUsedAt: null,
    });
    await this.db.transaction(async (m) => {
      await m.insert(ScimTokenEntity, entity);
      await audit?.(m, entity);
    });
    return { id: entity.id, token, expiresAt: entity.expiresAt?.toISOString() ?? null };
  }

  /** The tenant of a valid token; null for an unknown, expired or revoked one. */
  async verify(token: string): Promise<ScimTokenPrincipal | null> {
    const checked = await this.check(token);
    return checked && !('reason' in checked) ? checked : null;
  }

  /**
   * The tenant of a valid token; for an expired or revoked one, why it is refused and whose it is
   * (so the failure can be recorded for the tenant); null for a token that is not one of ours.
   */
  async check(token: string): Promise<ScimTokenPrincipal | ScimTokenRefusal | null> {
    if (!token.startsWith(TOKEN_PREFIX) || token.length > 200) return null;
    const tokenHash = hashToken(token);
    const now = Date.now();
    let known = this.verified.get(tokenHash);
    if (!known || known.until <= now) {
      this.verified.delete(tokenHash);
      const entity = await this.db.read((m) => m.findOneBy(ScimTokenEntity, { tokenHash }));
      if (!entity) return null;
      known = {
        principal: { tenantId: entity.tenantId, tokenId: entity.id },
        revoked: entity.revokedAt !== null,
        expiresAt: entity.expiresAt?.getTime() ?? null,
        until: now + VERIFIED_TTL_MS,
      };
      if (this.verified.size >= MAX_CACHED) this.verified.clear();
      this.verified.set(tokenHash, known);
    }
    if (known.revoked) return { ...known.principal, reason: 'revoked' };
    if (known.expiresAt !== null && known.expiresAt <= now) return { ...known.principal, reason: 'expired' };
    return known.principal;
  }

  /**
   * Notes that a call with the token was let through (the caller decides: a valid token of a
   * suspended tenant is refused all the same): last_used_at, written at most once a minute per token
   * and instance. Never throws: a busy or unreachable database must not fail the request it rides on.
   */
  recordUse(tokenId: string, now = Date.now()): Promise<void> | undefined {
    return this.lastUse.record(tokenId, now);
  }

  /** Revokes a token of the tenant (again: a no-op); false when the tenant has no such token. */
  async revoke(tenantId: string, id: string, audit?: InTransaction): Promise<boolean> {
    const revoked = await this.db.transaction(async (m) => {
      const result = await m.update(ScimTokenEntity, { tenantId, id, revokedAt: IsNull() }, { revokedAt: new Date() });
      if (!result.affected) return m.existsBy(ScimTokenEntity, { tenantId, id });
      await audit?.(m);
      return true;
    });
    for (const [tokenHash, known] of this.verified) if (known.principal.tokenId === id) this.verified.delete(tokenHash);
    return revoked;
  }

  /** When any of the tenant's tokens was last used (to the minute), or null. */
  async lastUsedAt(tenantId: string): Promise<Date | null> {
    const newest = await this.db.read((m) =>
      m.findOne(ScimTokenEntity, { select: { id: true, lastUsedAt: true }, where: { tenantId, lastUsedAt: Not(IsNull()) }, order: { lastUsedAt: 'DESC' } }),
    );
    return newest?.lastUsedAt ?? null;
  }

  /** The tenant's tokens, newest first (revoked and expired ones included), with the total. */
  list(tenantId: string, page: { offset: number; limit: number }): Promise<{ total: number; items: ScimTokenEntity[] }> {
    return this.db.read(async (m) => {
      const [items, total] = await m.findAndCount(ScimTokenEntity, {
        where: { tenantId },
        order: { createdAt: 'DESC', id: 'ASC' },
        skip: page.offset,
        take: page.limit,
      });
      return { total, items };
    });
  }
}
