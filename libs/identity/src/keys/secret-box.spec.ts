import { randomBytes } from 'node:crypto';
import { SecretBox } from './secret-box.js';

const key = (id: string) => ({ id, key: randomBytes(32) });

describe('SecretBox', () => {
  const k1 = key('k1');
  const k2 = key('k2');
  const material = (keys: { id: string; key: Buffer }[]) => ({ jwks: { keys: [] }, cookieKeys: ['x'.repeat(32)], encryptionKeys: keys });

  it('round-trips, binds the context and names its key', () => {
    const box = new SecretBox(material([k1]));
    const stored = box.encrypt('atea_cs_secret', 'row-1');
    expect(stored).toMatch(/^v1\.k1\./);
    expect(stored).not.toContain('atea_cs_secret');
    expect(box.decrypt(stored, 'row-1')).toBe('atea_cs_secret');
    expect(box.decrypt(stored, 'row-2')).toBeNull();
    // Flip one bit of the ciphertext itself (a base64 character's low bits may be padding).
    const parts = stored.split('.');
    const ciphertext = Buffer.from(parts[3], 'base64url');
    ciphertext[0] ^= 1;
    parts[3] = ciphertext.toString('base64url');
    expect(box.decrypt(parts.join('.'), 'row-1')).toBeNull();
    expect(box.decrypt('garbage', 'row-1')).toBeNull();
  });

  it('rotates: a new first key encrypts, the old one still decrypts until removed', () => {
    const old = new SecretBox(material([k1])).encrypt('s', 'c');
    const rotated = new SecretBox(material([k2, k1]));
    expect(rotated.decrypt(old, 'c')).toBe('s');
    expect(rotated.encrypt('s', 'c')).toMatch(/^v1\.k2\./);
    expect(new SecretBox(material([k2])).decrypt(old, 'c')).toBeNull();
  });
});
