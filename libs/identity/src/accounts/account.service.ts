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
import { PasswordCheckQueue } from './password-check-queue.js';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password-hasher.js';

export const MIN_PASSWORD_LENGTH = 12;
/**
 * How long an account's enabled state is trusted by the SCIM door without asking the database again:
 * disabling takes effect at once on this instance, on the others within this time (as for SCIM tokens).
 */
const ENABLED_TTL_MS = 5_000;
const MAX_CACHED = 10_000;
const IP_WINDOW_MS = 15 * 60_000;
const IP_MAX_DELAY_MS = 15 * 60_000;

export type SignInResult =
  | { ok: true; account: AccountEntity }
  /** Unknown e-mail, wrong password, or not an admin of this tenant: deliberately indistinguishable. */
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'disabled' }
  | { ok: false; reason: 'locked'; until: Date }
  | { ok: false; reason: 'throttled'; until: Date }
  /** Too many password checks waiting already: come back in a moment. */
  | { ok: false; reason: 'busy'; retryAfterSeconds: number };

/** Seconds a sign-in refused for a full password-check queue is asked to wait. */
export const PASSWORD_CHECK_RETRY_AFTER_SECONDS = 2;

/** Tenant admin accounts and the password sign-in of the Authorize dialog, with lockout and IP throttling. */
@Injectable()
export class AccountService {
  private readonly checks: PasswordCheckQueue;
  private readonly enabledCache = new Map<string, { enabled: boolean; until: number }>();

  constructor(
    private readonly db: Database,
    private readonly config: AppConfig,
  ) {
    this.checks = new PasswordCheckQueue(config.LOGIN_CHECK_CONCURRENCY, config.LOGIN_CHECK_QUEUE);
  }

  /**
   * Creates an admin of the tenant. `audit` runs in the same transaction, before the insert, so a
   * taken e-mail rolls both back.
   */
  async createTenantAdmin(tenantId: string, email: string, password: string, audit?: InTransaction<AccountEntity>): Promise<AccountEntity> {
    const trimmed = accountEmail(email);
    if (password.length < MIN_PASSWORD_LENGTH) throw new IdentityError('invalid', `The password must have at least ${MIN_PASSWORD_LENGTH} characters`);
    if (password.length > 1024) throw new IdentityError('invalid', 'The password must have at most 1024 characters');
    const account = newAccount({ tenantId, realm: tenantId, email: trimmed, passwordHash: await this.hashNewPassword(password), role: 'admin' });
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

  /**
   * Hashes a new password in a slot of the password-check queue, as sign-in checks are: creating or
   * resetting admins through the admin API cannot take the CPU from the SCIM traffic either. Refused
   * with `busy` when the queue is full.
   */
  async hashNewPassword(password: string): Promise<string> {
    const hashed = await this.checks.run(() => hashPassword(password));
    if (!hashed) throw new IdentityError('busy', 'Too many password checks are running; try again in a moment', PASSWORD_CHECK_RETRY_AFTER_SECONDS);
    return hashed.value;
  }

  /** Disables or re-enables a tenant admin. A disabled admin cannot sign in, and refreshing tokens they authorized fails. */
  async setDisabled(tenantId: string, email: string, disabled: boolean): Promise<AccountEntity> {
    const emailKey = email.trim().toLowerCase();
    return this.db.transaction(async (m) => {
      const account = await m.findOneBy(AccountEntity, { realm: tenantId, emailKey });
      if (!account) throw new IdentityError('not_found', `The tenant has no account for ${email}`);
      await m.update(AccountEntity, { id: account.id }, { disabled, updatedAt: new Date() });
      this.forget(account.id);
      return { ...account, disabled };
    });
  }

  /**
   * Whether the account exists and is enabled, as the SCIM door asks for every access token an admin
   * authorized; cached for a few seconds (see ENABLED_TTL_MS).
   */
  async isEnabled(id: string): Promise<boolean> {
    const now = Date.now();
    const cached = this.enabledCache.get(id);
    if (cached && cached.until > now) return cached.enabled;
    const enabled = await this.db.read((m) => m.existsBy(AccountEntity, { id, disabled: false }));
    if (this.enabledCache.size >= MAX_CACHED) this.enabledCache.clear();
    this.enabledCache.set(id, { enabled, until: now + ENABLED_TTL_MS });
    return enabled;
  }

  /** Drops what this instance remembers of the account (after it was disabled or enabled). */
  forget(id: string): void {
    this.enabledCache.delete(id);
  }

  /** The account, when it exists and is not disabled (a lock does not matter: it only stops password sign-in). */
  findEnabled(id: string): Promise<AccountEntity | null> {
    return this.db.read((m) => m.findOneBy(AccountEntity, { id, disabled: false }));
  }

  /**
   * True while every password check slot is taken and the queue is full: a sign-in now would get
   * `busy`. The login page asks first and answers at once, without a database round trip, so that a
   * flood of posts costs next to nothing once the queue is full.
   */
  get passwordChecksFull(): boolean {
    return this.checks.full;
  }

  /**
   * Password sign-in of an admin of `tenantId`, from the client address `ip`.
   *
   * Each password check of an account is reserved in the database before it runs (a conditional
   * increment of `failed_logins` that succeeds only below LOGIN_MAX_FAILURES and while unlocked), so
   * parallel guesses on any number of instances get no more checks than the policy allows. The check
   * itself waits for a slot of the password-check queue; `busy` when the queue is full.
   */
  async signIn(tenantId: string, email: string, password: string, ip: string): Promise<SignInResult> {
    const ipKey = createHash('sha256').update(ip).digest('hex');
    const emailKey = email.trim().toLowerCase();
    const [throttle, found] = await this.db.read(async (m) => [
      await m.findOneBy(LoginThrottleEntity, { ipKey }),
      emailKey && emailKey.length <= 320 ? await m.findOneBy(AccountEntity, { realm: tenantId, emailKey, role: 'admin' }) : null,
    ] as const);
    const now = new Date();
    if (throttle?.blockedUntil && throttle.blockedUntil > now) return { ok: false, reason: 'throttled', until: throttle.blockedUntil };
    if (found?.lockedUntil && found.lockedUntil > now) return { ok: false, reason: 'locked', until: found.lockedUntil };

    const checked = await this.checks.run(async () => {
      if (found && !(await this.reserveCheck(found.id))) return 'locked' as const;
      return (await verifyPassword(password, found?.passwordHash ?? DUMMY_PASSWORD_HASH)) ? ('match' as const) : ('wrong' as const);
    });
    if (!checked) return { ok: false, reason: 'busy', retryAfterSeconds: PASSWORD_CHECK_RETRY_AFTER_SECONDS };
    if (checked.value === 'locked') return { ok: false, reason: 'locked', until: await this.lockedUntil(found!.id) };

    const at = new Date();
    if (!found || checked.value === 'wrong') {
      const lockedUntil = await this.db.transaction(async (m) => {
        await this.countIpFailure(m, ipKey, at);
        return found ? this.lockWhenExhausted(m, found.id, at) : null;
      });
      return lockedUntil ? { ok: false, reason: 'locked', until: lockedUntil } : { ok: false, reason: 'invalid' };
    }
    // The right password: the reservation is released, unless parallel wrong guesses locked the account meanwhile.
    const released = await this.db.transaction((m) =>
      m
        .createQueryBuilder()
        .update(AccountEntity)
        .set({ failedLogins: 0, lastLoginAt: at })
        .where('id = :id AND (locked_until IS NULL OR locked_until <= :at)', { id: found.id, at: this.db.dateParam(at) })
        .execute(),
    );
    if (!released.affected) return { ok: false, reason: 'locked', until: await this.lockedUntil(found.id) };
    if (found.disabled) return { ok: false, reason: 'disabled' };
    return { ok: true, account: found };
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

  /**
   * Takes one of the account's LOGIN_MAX_FAILURES password checks: one conditional UPDATE, atomic on
   * SQLite and MySQL alike, that counts the check as failed in advance. False when none is left or the
   * account is locked.
   */
  private async reserveCheck(id: string): Promise<boolean> {
    const now = new Date();
    const result = await this.db.transaction((m) =>
      m
        .createQueryBuilder()
        .update(AccountEntity)
        .set({ failedLogins: () => 'failed_logins + 1' })
        .where('id = :id AND failed_logins < :max AND (locked_until IS NULL OR locked_until <= :now)', {
          id,
          max: this.config.LOGIN_MAX_FAILURES,
          now: this.db.dateParam(now),
        })
        .execute(),
    );
    return (result.affected ?? 0) > 0;
  }

  /** After a wrong password: locks the account (and returns until when) once its reserved checks reach the limit. */
  private async lockWhenExhausted(m: EntityManager, id: string, now: Date): Promise<Date | null> {
    const lockedUntil = new Date(now.getTime() + this.config.LOGIN_LOCKOUT_MINUTES * 60_000);
    const result = await m
      .createQueryBuilder()
      .update(AccountEntity)
      .set({ failedLogins: 0, lockedUntil })
      .where('id = :id AND failed_logins >= :max', { id, max: this.config.LOGIN_MAX_FAILURES })
      .execute();
    return result.affected ? lockedUntil : null;
  }

  /** Until when the account is locked; while parallel checks still use up its last attempts, a full lockout from now. */
  private async lockedUntil(id: string): Promise<Date> {
    const account = await this.db.read((m) => m.findOne(AccountEntity, { select: { id: true, lockedUntil: true }, where: { id } }));
    const now = Date.now();
    return account?.lockedUntil && account.lockedUntil.getTime() > now ? account.lockedUntil : new Date(now + this.config.LOGIN_LOCKOUT_MINUTES * 60_000);
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
