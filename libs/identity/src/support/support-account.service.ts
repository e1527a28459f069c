import { Injectable, Logger } from '@nestjs/common';
import { Database, isUniqueViolation } from '@app/database';
import { AccountEntity, SUPPORT_REALM, type AccountRole } from '../accounts/account.entity.js';
import { IdentityError } from '../identity.error.js';
import { accountEmail, newAccount } from '../accounts/new-account.js';
import { insertSupportToken, type IssuedSupportToken } from './support-token.service.js';

export const SUPPORT_ROLES: readonly AccountRole[] = ['viewer', 'operator', 'admin'];
/**
 * Support accounts authenticate with personal access tokens only. Their password hash is a value no
 * password verifies against (it is not in the hasher's `scrypt$…` format).
 */
const NO_PASSWORD = '!personal-access-tokens-only';

/**
 * Atea's support-staff accounts (`accounts` rows of realm `support`, without a tenant). Their writes
 * concern no tenant, so they are logged here (ids only, never a token) rather than in a tenant's
 * provisioning event log.
 */
@Injectable()
export class SupportAccountService {
  private readonly logger = new Logger('SupportAccounts');

  constructor(private readonly db: Database) {}

  /** Creates a support account and its first personal access token. */
  async create(
    email: string,
    role: AccountRole,
    options: { tokenName?: string; expiresInDays?: number; createdBy?: string } = {},
  ): Promise<{ account: AccountEntity; token: IssuedSupportToken }> {
    const trimmed = accountEmail(email);
    if (!SUPPORT_ROLES.includes(role)) throw new IdentityError('invalid', `The role must be one of ${SUPPORT_ROLES.join(', ')}`);
    const account = newAccount({ tenantId: null, realm: SUPPORT_REALM, email: trimmed, passwordHash: NO_PASSWORD, role });
    try {
      const token = await this.db.transaction(async (m) => {
        await m.insert(AccountEntity, account);
        return insertSupportToken(m, account.id, { name: options.tokenName ?? 'first token', expiresInDays: options.expiresInDays });
      });
      this.logger.log(`support account ${account.id} (${role}) created${options.createdBy ? ` by support account ${options.createdBy}` : ''}`);
      return { account, token };
    } catch (error) {
      if (isUniqueViolation(error)) throw new IdentityError('conflict', `A support account for ${trimmed} already exists`);
      throw error;
    }
  }

  async list(page: { offset: number; limit: number }): Promise<{ total: number; items: AccountEntity[] }> {
    return this.db.read(async (m) => {
      const [items, total] = await m.findAndCount(AccountEntity, {
        where: { realm: SUPPORT_REALM },
        order: { emailKey: 'ASC', id: 'ASC' },
        skip: page.offset,
        take: page.limit,
      });
      return { total, items };
    });
  }

  find(id: string): Promise<AccountEntity | null> {
    return this.db.read((m) => m.findOneBy(AccountEntity, { id, realm: SUPPORT_REALM }));
  }

  /** Changes the role or disables/enables a support account (a disabled account's tokens stop working). */
  async update(id: string, changes: { role?: AccountRole; disabled?: boolean }, updatedBy?: string): Promise<AccountEntity> {
    if (changes.role !== undefined && !SUPPORT_ROLES.includes(changes.role)) {
      throw new IdentityError('invalid', `The role must be one of ${SUPPORT_ROLES.join(', ')}`);
    }
    const updated = await this.db.transaction(async (m) => {
      const account = await m.findOneBy(AccountEntity, { id, realm: SUPPORT_REALM });
      if (!account) throw new IdentityError('not_found', `No support account ${id}`);
      const values: Partial<AccountEntity> = { updatedAt: new Date() };
      if (changes.role !== undefined) values.role = changes.role;
      if (changes.disabled !== undefined) values.disabled = changes.disabled;
      await m.update(AccountEntity, { id }, values);
      return Object.assign(account, values);
    });
    this.logger.log(`support account ${id} updated (${Object.keys(changes).join(', ') || 'nothing'})${updatedBy ? ` by support account ${updatedBy}` : ''}`);
    return updated;
  }
}
