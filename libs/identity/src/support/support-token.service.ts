import { randomBytes, randomUUID } from 'node:crypto';
import { Injectable, Logger } from '@nestjs/common';
import { IsNull, type EntityManager } from 'typeorm';
import { Database, describeFailure } from '@app/database';
import { AccountEntity, SUPPORT_REALM, type AccountRole } from '../accounts/account.entity.js';
import { IdentityError } from '../identity.error.js';
import { hashToken } from '../scim-tokens/scim-token.service.js';
import { SupportTokenEntity } from './support-token.entity.js';

export const SUPPORT_TOKEN_PREFIX = 'atea_pat_';
export const DEFAULT_SUPPORT_TOKEN_DAYS = 90;
export const MAX_SUPPORT_TOKEN_DAYS = 365;
const DAY_MS = 86_400_000;
/** last_used_at is written at most this often per token. */
const LAST_USED_GRANULARITY_MS = 60_000;

export interface IssuedSupportToken {
  id: string;
  /** The token itself: shown once, never stored. */
  token: string;
  name: string;
  expiresAt: Date;
}

/** The support account behind a valid personal access token. */
export interface SupportPrincipal {
  accountId: string;
  email: string;
  role: AccountRole;
  tokenId: string;
}

export interface SupportTokenOptions {
  name?: string;
  expiresInDays?: number;
}

/** Personal access tokens of support-staff accounts: hashed, expiring, revocable, last use recorded. */
@Injectable()
export class SupportTokenService {
  private readonly logger = new Logger('SupportTokens');

  constructor(private readonly db: Database) {}

  /** Issues a token for an enabled support account; the plaintext is returned once. */
  async issue(accountId: string, options: SupportTokenOptions = {}): Promise<IssuedSupportToken> {
    const issued = await this.db.transaction(async (m) => {
      const account = await m.findOneBy(AccountEntity, { id: accountId, realm: SUPPORT_REALM });
      if (!account) throw new IdentityError('not_found', `No support account ${accountId}`);
      if (account.disabled) throw new IdentityError('invalid', 'The support account is disabled');
      return insertSupportToken(m, accountId, options);
    });
    this.logger.log(`support token ${issued.id} issued to support account ${accountId}`);
    return issued;
  }

  /** The account of a live token of an enabled support account; null for anything else. */
  async verify(token: string): Promise<SupportPrincipal | null> {
    if (!token.startsWith(SUPPORT_TOKEN_PREFIX) || token.length > 200) return null;
    const found = await this.db.read(async (m) => {
      const entity = await m.findOneBy(SupportTokenEntity, { tokenHash: hashToken(token) });
      const account = entity ? await m.findOneBy(AccountEntity, { id: entity.accountId, realm: SUPPORT_REALM, tenantId: IsNull() }) : null;
      return entity && account ? { entity, account } : null;
    });
    const now = Date.now();
    if (!found) return null;
    const { entity, account } = found;
    if (entity.revokedAt || entity.expiresAt.getTime() <= now || account.disabled) return null;
    if (!entity.lastUsedAt || now - entity.lastUsedAt.getTime() > LAST_USED_GRANULARITY_MS) {
      // Bookkeeping: a busy or unreachable database must not fail the request it rides on.
      await this.db
        .transaction((m) => m.update(SupportTokenEntity, { id: entity.id }, { lastUsedAt: new Date(now) }))
        .catch((error: unknown) => this.logger.warn(`Could not record the use of support token ${entity.id}: ${describeFailure(error)}`));
    }
    return { accountId: account.id, email: account.email, role: account.role, tokenId: entity.id };
  }

  /** Every token of the account, newest first (revoked and expired ones included). */
  list(accountId: string): Promise<SupportTokenEntity[]> {
    return this.db.read((m) => m.find(SupportTokenEntity, { where: { accountId }, order: { createdAt: 'DESC', id: 'ASC' } }));
  }

  /** Revokes a token of the account; false when the account has no such token. */
  async revoke(accountId: string, tokenId: string): Promise<boolean> {
    const result = await this.db.transaction((m) =>
      m.update(SupportTokenEntity, { accountId, id: tokenId, revokedAt: IsNull() }, { revokedAt: new Date() }),
    );
    const revoked = (result.affected ?? 0) > 0;
    if (revoked) this.logger.log(`support token ${tokenId} of support account ${accountId} revoked`);
    else if (await this.db.read((m) => m.existsBy(SupportTokenEntity, { accountId, id: tokenId }))) return true;
    return revoked;
  }
}

/** Inserts a new token of the account through `m`; returns the plaintext once. */
export async function insertSupportToken(m: EntityManager, accountId: string, options: SupportTokenOptions): Promise<IssuedSupportToken> {
  const days = options.expiresInDays ?? DEFAULT_SUPPORT_TOKEN_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_SUPPORT_TOKEN_DAYS) {
    throw new IdentityError('invalid', `A support token expires after 1 to ${MAX_SUPPORT_TOKEN_DAYS} days`);
  }
  const name = (options.name ?? 'default').trim();
  if (!name || name.length > 100) throw new IdentityError('invalid', 'The token name must be 1-100 characters');
  const token = `${SUPPORT_TOKEN_PREFIX}${randomBytes(32).toString('base64url')}`;
  const now = new Date();
  const entity = Object.assign(new SupportTokenEntity(), {
    id: randomUUID(),
    accountId,
    tokenHash: hashToken(token),
    tokenPrefix: token.slice(0, 14),
    name,
    createdAt: now,
    expiresAt: new Date(now.getTime() + days * DAY_MS),
    revokedAt: null,
    lastUsedAt: null,
  } satisfies SupportTokenEntity);
  await m.insert(SupportTokenEntity, entity);
  return { id: entity.id, token, name, expiresAt: entity.expiresAt };
}
