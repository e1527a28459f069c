import { randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { Database } from '@app/database';
import { AccountEntity } from '../accounts/account.entity.js';
import { AccountService } from '../accounts/account.service.js';
import { IdentityError } from '../identity.error.js';
import type { InTransaction } from '../transaction-hook.js';

/** A password generated for a tenant admin: shown once to the support engineer, never stored. */
function oneTimePassword(): string {
  return randomBytes(18).toString('base64url');
}

/**
 * Support-side management of a tenant's admin accounts. Every method takes the tenant first and
 * never reaches another tenant's accounts; writes run `audit` in their transaction.
 */
@Injectable()
export class TenantAdminService {
  constructor(
    private readonly db: Database,
    private readonly accounts: AccountService,
  ) {}

  list(tenantId: string, page: { offset: number; limit: number }): Promise<{ total: number; items: AccountEntity[] }> {
    return this.db.read(async (m) => {
      const [items, total] = await m.findAndCount(AccountEntity, {
        where: { tenantId, realm: tenantId },
        order: { emailKey: 'ASC', id: 'ASC' },
        skip: page.offset,
        take: page.limit,
      });
      return { total, items };
    });
  }

  /** Creates an admin with a generated password, returned once. */
  async create(tenantId: string, email: string, audit?: InTransaction<AccountEntity>): Promise<{ account: AccountEntity; password: string }> {
    const password = oneTimePassword();
    return { account: await this.accounts.createTenantAdmin(tenantId, email, password, audit), password };
  }

  /** Disables or re-enables an admin: a disabled admin cannot sign in, and refreshing tokens they authorized fails. */
  async setDisabled(tenantId: string, id: string, disabled: boolean, audit?: InTransaction<AccountEntity>): Promise<AccountEntity> {
    const account = await this.change(tenantId, id, { disabled }, audit);
    this.accounts.forget(id);
    return account;
  }

  /** Lifts a lock after too many wrong passwords. */
  unlock(tenantId: string, id: string, audit?: InTransaction<AccountEntity>): Promise<AccountEntity> {
    return this.change(tenantId, id, { failedLogins: 0, lockedUntil: null }, audit);
  }

  /** Sets a new generated password (returned once) and lifts any lock. */
  async resetPassword(tenantId: string, id: string, audit?: InTransaction<AccountEntity>): Promise<{ account: AccountEntity; password: string }> {
    const password = oneTimePassword();
    const account = await this.change(tenantId, id, { passwordHash: await this.accounts.hashNewPassword(password), failedLogins: 0, lockedUntil: null }, audit);
    return { account, password };
  }

  private change(tenantId: string, id: string, values: Partial<AccountEntity>, audit?: InTransaction<AccountEntity>): Promise<AccountEntity> {
    return this.db.transaction(async (m) => {
      const account = await m.findOneBy(AccountEntity, { tenantId, realm: tenantId, id });
      if (!account) throw new IdentityError('not_found', `The tenant has no admin account ${id}`);
      const updated = Object.assign(account, values, { updatedAt: new Date() });
      await m.update(AccountEntity, { tenantId, id }, { ...values, updatedAt: updated.updatedAt });
      await audit?.(m, updated);
      return updated;
    });
  }
}
