import { randomUUID } from 'node:crypto';
import { columnTextProblem, textKey } from '@app/database';
import { IdentityError } from '../identity.error.js';
import { AccountEntity } from './account.entity.js';

const EMAIL_PATTERN = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

/** An account's e-mail address as given, trimmed; IdentityError `invalid` when it is not one. */
export function accountEmail(email: string): string {
  const trimmed = email.trim();
  if (!EMAIL_PATTERN.test(trimmed)) throw new IdentityError('invalid', 'The e-mail address is not valid');
  const problem = columnTextProblem(trimmed, 320, true);
  if (problem) throw new IdentityError('invalid', `The e-mail address ${problem}`);
  return trimmed;
}

/** A new account, enabled, with no sign-in history (tenant admins and support staff alike). */
export function newAccount(fields: Pick<AccountEntity, 'tenantId' | 'realm' | 'email' | 'passwordHash' | 'role'>): AccountEntity {
  const now = new Date();
  return Object.assign(new AccountEntity(), {
    ...fields,
    id: randomUUID(),
    emailKey: textKey(fields.email),
    disabled: false,
    failedLogins: 0,
    lockedUntil: null,
    lastLoginAt: null,
    createdAt: now,
    updatedAt: now,
  } satisfies AccountEntity);
}
