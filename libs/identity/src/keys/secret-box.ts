import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { KEY_MATERIAL, type KeyMaterial } from './key-material.js';

const VERSION = 'v1';

/**
 * Encrypts secrets at rest with AES-256-GCM under the configured keys. The stored form
 * `v1.<key id>.<iv>.<ciphertext>.<tag>` names its key, so keys rotate by adding a new first key
 * (it encrypts from then on) and removing the old one once nothing uses it. `context` is bound as
 * additional data: a ciphertext copied to another row does not decrypt.
 */
@Injectable()
export class SecretBox {
  constructor(@Inject(KEY_MATERIAL) private readonly keys: KeyMaterial) {}

  encrypt(plaintext: string, context: string): string {
    const { id, key } = this.keys.encryptionKeys[0];
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [VERSION, id, iv.toString('base64url'), ciphertext.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.');
  }

  /** The plaintext, or null when the value is malformed, its key is gone or it was tampered with. */
  decrypt(stored: string, context: string): string | null {
    const [version, id, iv, ciphertext, tag] = stored.split('.');
    const entry = this.keys.encryptionKeys.find((k) => k.id === id);
    if (version !== VERSION || !entry || !iv || !ciphertext || !tag) return null;
    try {
      const decipher = createDecipheriv('aes-256-gcm', entry.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ciphertext, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }
}
