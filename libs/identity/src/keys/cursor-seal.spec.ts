import { randomBytes } from 'node:crypto';
import { CursorSeal } from './cursor-seal.js';

const key = (id: string) => ({ id, key: randomBytes(32) });
const material = (keys: { id: string; key: Buffer }[]) => ({ jwks: { keys: [] }, cookieKeys: ['x'.repeat(32)], encryptionKeys: keys });

describe('CursorSeal', () => {
  const k1 = key('k1');
  const k2 = key('k2');

  it('opens what it sealed, and nothing altered or forged', () => {
    const seal = new CursorSeal(material([k1]));
    const sealed = seal.seal({ p: { value: 'a', id: '1' } });
    expect(seal.open(sealed)).toEqual({ p: { value: 'a', id: '1' } });
    const [body, mac] = sealed.split('.');
    const altered = Buffer.from(JSON.stringify({ p: { value: 'a', id: '2' } })).toString('base64url');
    expect(seal.open(`${altered}.${mac}`)).toBeUndefined();
    expect(seal.open(`${body}.${mac.slice(0, -2)}`)).toBeUndefined();
    expect(seal.open(`${body}.${mac}.x`)).toBeUndefined();
    expect(seal.open('')).toBeUndefined();
    expect(new CursorSeal(material([k2])).open(sealed)).toBeUndefined();
  });

  it('rotates with the encryption keys: the first seals, all open', () => {
    const old = new CursorSeal(material([k1])).seal(1);
    const rotated = new CursorSeal(material([k2, k1]));
    expect(rotated.open(old)).toBe(1);
    expect(new CursorSeal(material([k1])).open(rotated.seal(2))).toBeUndefined();
  });
});
