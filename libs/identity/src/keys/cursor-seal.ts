import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { KEY_MATERIAL, type KeyMaterial } from './key-material.js';

const INFO = 'atea scim cursor v1';

/**
 * Seals small JSON payloads into opaque, tamper-proof text: `<payload>.<HMAC-SHA256>`, both
 * base64url. The MAC key is derived (HKDF) from each at-rest encryption key, so it needs no
 * configuration of its own and rotates with them: the first key seals, every key opens. What is
 * sealed is readable by whoever holds it: seal nothing its holder may not see.
 */
@Injectable()
export class CursorSeal {
  private readonly keys: Buffer[];

  constructor(@Inject(KEY_MATERIAL) material: KeyMaterial) {
    this.keys = material.encryptionKeys.map(({ key }) => Buffer.from(hkdfSync('sha256', key, Buffer.alloc(0), INFO, 32)));
  }

  seal(payload: unknown): string {
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${mac(this.keys[0], body).toString('base64url')}`;
  }

  /** The payload, or undefined when the text is malformed or was not sealed by one of our keys. */
  open(text: string): unknown {
    const [body, tag, extra] = text.split('.');
    if (!body || !tag || extra !== undefined || text.length > 4096) return undefined;
    const given = Buffer.from(tag, 'base64url');
    const genuine = this.keys.some((key) => {
      const expected = mac(key, body);
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (!genuine) return undefined;
    try {
      return JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as unknown;
    } catch {
      return undefined;
    }
  }
}

function mac(key: Buffer, body: string): Buffer {
  return createHmac('sha256', key).update(body).digest();
}
