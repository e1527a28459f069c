import { createHash } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import { AppConfig } from '@app/config';
import { Database, isUniqueViolation } from '@app/database';
import { IdentityError } from '../identity.error.js';
import type { InTransaction } from '../transaction-hook.js';
import { AccountEntity } from './account.entity.js';
import { LoginThrottleEntity } from './login-throttle.entity.js';
import { accountEmail, newAccount } from './new-account.js';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password-hasher.js';

export const MIN_PASSWORD_LENGTH = 12;
const IP_WINDOW_MS = 15 * 60_000;
const IP_MAX_DELAY_MS = 15 * 60_000;

export type SignInResult =
  | { ok: true; account: AccountEntity }
  /** Unknown e-mail, wrong password, or not an admin of this tenant: deliberately indistinguishable. */
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'disabled' }
  | { ok: false; reason: 'locked'; until: Date }
  | { ok: false; reason: 'throttled'; until: Date };

/** Tenant admin accounts and the password sign-in of the Authorize dialog, with lockout and IP throttling. */
@Injectable()
export class AccountService {
  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
  ) {}

  /**
   * Creates an admin of the tenant. `audit` runs in the same transaction, before the insert, so a
   * taken e-mail rolls both back.
   */
  async createTenantAdmin(tenantId: string, email: string, password: string, audit?: InTransaction<AccountEntity>): Promise<AccountEntity> {
    const trimmed = accountEmail(email);
    if (password.length < MIN_PASSWORD_LENGTH) throw new IdentityError('invalid', `The password must have at least ${MIN_PASSWORD_LENGTH} characters`);
    if (password.length > 1024) throw new IdentityError('invalid', 'The password must have at most 1024 characters');
    const account = newAccount({ tenantId, realm: tenantId, email: trimmed, passwordHash: await hashPassword(password), role: 'admin' });
    try {
      await this.db.transaction(async (m) => {
        await audit?.(m, account);
        await m.insert(AccountEntity, account);
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new IdentityError('conflict', `The tenant already has an account for ${trimmed}`);
      throw error;
    }
    return account;
  }

  /** Disables or re-enables a tenant admin. A disabled admin cannot sign in, and refreshing tokens they authorized fails. */
  async setDisabled(tenantId: string, email: string, disabled: boolean): Promise<AccountEntity> {
    const emailKey = email.trim().toLowerCase();
    return this.db.transaction(async (m) => {
      const account = await m.findOneBy(AccountEntity, { realm: tenantId, emailKey });
      if (!account) throw new IdentityError('not_found', `The tenant has no account for ${email}`);
      await m.update(AccountEntity, { id: account.id }, { disabled, updatedAt: new Date() });
      return { ...account, disabled };
    });
  }

  /** The account, when it exists and is not disabled (a lock does not matter: it only stops password sign-in). */
  findEnabled(id: string): Promise<AccountEntity | null> {
    return this.db.read((m) => m.findOneBy(AccountEntity, { id, disabled: false }));
  }

  /** Password sign-in of an admin of `tenantId`, from the client address `ip`. */
  async signIn(tenantId: string, email: string, password: string, ip: string): Promise<SignInResult> {
    const now = new Date();
    const ipKey = createHash('sha256').update(ip).digest('hex');
    const emailKey = email.trim().toLowerCase();
    const [throttle, account] = await this.db.read(async (m) => [
      await m.findOneBy(LoginThrottleEntity, { ipKey }),
      emailKey && emailKey.length <= 320 ? await m.findOneBy(AccountEntity, { realm: tenantId, emailKey, role: 'admin' }) : null,
    ] as const);
    if (throttle?.blockedUntil && throttle.blockedUntil > now) return { ok: false, reason: 'throttled', until: throttle.blockedUntil };
    if (account?.lockedUntil && account.lockedUntil > now) return { ok: false, reason: 'locked', until: account.lockedUntil };

    const matches = await verifyPassword(password, account?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!account || !matches) {
      const lockedUntil = await this.db.transaction(async (m) => {
        await this.countIpFailure(m, ipKey, now);
        return account ? this.countAccountFailure(m, account.id, now) : null;
      });
      return lockedUntil ? { ok: false, reason: 'locked', until: lockedUntil } : { ok: false, reason: 'invalid' };
    }
    if (account.disabled) return { ok: false, reason: 'disabled' };
    await this.db.transaction((m) =>
      m.update(AccountEntity, { id: account.id }, { failedLogins: 0, lockedUntil: null, lastLoginAt: now }),
    );
    return { ok: true, account };
  }

  /** Deletes throttle rows nobody needs any more. */
  async purgeThrottle(now = new Date()): Promise<void> {
    await this.db.transaction((m) =>
      m
        .createQueryBuilder()
        .delete()
        .from(LoginThrottleEntity)
        .where('window_started_at < :old', { old: new Date(now.getTime() - 2 * IP_WINDOW_MS) })
        .andWhere('(blocked_until IS NULL OR blocked_until < :now)', { now })
        .execute(),
    );
  }

  /** Counts a wrong password; locks the account (and returns until when) on the configured failure. */
  private async countAccountFailure(m: EntityManager, id: string, now: Date): Promise<Date | null> {
    await m.increment(AccountEntity, { id }, 'failedLogins', 1);
    const { failedLogins } = await m.findOneByOrFail(AccountEntity, { id });
    if (failedLogins < this.config.LOGIN_MAX_FAILURES) return null;
    const lockedUntil = new Date(now.getTime() + this.config.LOGIN_LOCKOUT_MINUTES * 60_000);
    await m.update(AccountEntity, { id }, { failedLogins: 0, lockedUntil });
    return lockedUntil;
  }

  /**
   * Counts a failed sign-in of an address. Past the configured number within 15 minutes, each further
   * failure blocks the address for twice as long as the previous one (1 s, 2 s, 4 s, … up to 15 min).
   */
  private async countIpFailure(m: EntityManager, ipKey: string, now: Date): Promise<void> {
    const lock = this.db.kind === 'mysql' ? { lock: { mode: 'pessimistic_write' as const } } : {};
    const row = await m.findOne(LoginThrottleEntity, { where: { ipKey }, ...lock });
    if (!row) {
      try {
        await m.insert(LoginThrottleEntity, { ipKey, failures: 1, windowStartedAt: now, blockedUntil: null });
      } catch (error) {
        if (!isUniqueViolation(error)) throw error;
        await m.increment(LoginThrottleEntity, { ipKey }, 'failures', 1);
      }
      return;
    }
    const expired = now.getTime() - row.windowStartedAt.getTime() > IP_WINDOW_MS && !(row.blockedUntil && row.blockedUntil > now);
    const failures = expired ? 1 : row.failures + 1;
    const over = failures - this.config.LOGIN_IP_MAX_FAILURES;
    const blockedUntil = over >= 0 ? new Date(now.getTime() + Math.min(1000 * 2 ** Math.min(over, 30), IP_MAX_DELAY_MS)) : null;
    await m.update(LoginThrottleEntity, { ipKey }, { failures, windowStartedAt: expired ? now : row.windowStartedAt, blockedUntil });
  }
}
