import { IdentityError } from '../identity.error.js';
import { accountEmail, newAccount } from './new-account.js';

describe('account e-mail', () => {
  it('refuses an address whose lower-cased key would not fit its 320-character column', () => {
    // 'İ' lower-cases to two characters: 64 + 1 + 255 = 320 characters become 384.
    const email = `${'İ'.repeat(64)}@${'a'.repeat(255)}`;
    expect(() => accountEmail(email)).toThrow(IdentityError);
    expect(() => accountEmail(email)).toThrow(/lower-cased/);
  });

  it('keeps the address as given and its lower-cased key', () => {
    expect(accountEmail('  Owner@Acme.test ')).toBe('Owner@Acme.test');
    const account = newAccount({ tenantId: 't', realm: 't', email: 'İnci@Acme.test', passwordHash: 'x', role: 'admin' });
    expect(account.emailKey).toBe('i̇nci@acme.test');
  });
});
