import { hashPassword, verifyPassword } from './password-hasher.js';

describe('password hashing', () => {
  it('verifies the right password only, with a salt per hash', async () => {
    const a = await hashPassword('correct horse battery staple');
    const b = await hashPassword('correct horse battery staple');
    expect(a).toMatch(/^scrypt\$32768\$8\$3\$[A-Za-z0-9_-]+\$[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse battery staple', a)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', a)).toBe(false);
    expect(await verifyPassword('', a)).toBe(false);
    // Five deliberately slow hashes: on a busy machine they take longer than the default 5 s.
  }, 30_000);

  it('refuses malformed hashes instead of throwing', async () => {
    for (const stored of ['', 'bcrypt$x', 'scrypt$a$b$c$d$e', 'scrypt$16384$8$1$$']) {
      expect(await verifyPassword('x', stored)).toBe(false);
    }
  });
});
