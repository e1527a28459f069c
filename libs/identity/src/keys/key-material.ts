import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { AppConfig } from '@app/config';

/** A private JSON Web Key as oidc-provider takes it. */
export type PrivateJwk = Record<string, unknown> & { kty: string; kid?: string; d: string };

/** The secrets of the authorization server: signing keys, cookie keys and the at-rest encryption keys. */
export interface KeyMaterial {
  jwks: { keys: PrivateJwk[] };
  /** The first signs, all verify. */
  cookieKeys: string[];
  /** Key id and 32-byte key; the first encrypts, all decrypt. */
  encryptionKeys: { id: string; key: Buffer }[];
}

export const KEY_MATERIAL = 'KEY_MATERIAL';

/** The three variables, as strings in their configuration format. */
export interface KeyMaterialEnv {
  OIDC_JWKS: string;
  OIDC_COOKIE_KEYS: string;
  SECRET_ENCRYPTION_KEY: string;
}

const KEY_NAMES = ['OIDC_JWKS', 'OIDC_COOKIE_KEYS', 'SECRET_ENCRYPTION_KEY'] as const;

/** A fresh, complete set of key material in configuration format (what `secrets:generate` prints). */
export function generateKeyMaterialEnv(): KeyMaterialEnv {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: randomUUID(), use: 'sig', alg: 'RS256' };
  const kid = new Date().toISOString().slice(0, 10).replace(/-/g, '');
  return {
    OIDC_JWKS: JSON.stringify({ keys: [jwk] }),
    OIDC_COOKIE_KEYS: randomBytes(32).toString('base64url'),
    SECRET_ENCRYPTION_KEY: `k${kid}:${randomBytes(32).toString('base64url')}`,
  };
}

/** Parses the configuration format. The values were validated by loadConfig. */
export function parseKeyMaterial(env: KeyMaterialEnv): KeyMaterial {
  return {
    jwks: JSON.parse(env.OIDC_JWKS) as { keys: PrivateJwk[] },
    cookieKeys: env.OIDC_COOKIE_KEYS.split(',').map((k) => k.trim()),
    encryptionKeys: env.SECRET_ENCRYPTION_KEY.split(',').map((entry) => {
      const [id, value] = entry.trim().split(':');
      const key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
      if (key.length !== 32) throw new Error(`SECRET_ENCRYPTION_KEY entry "${id}" is not 32 bytes`);
      return { id, key };
    }),
  };
}

/**
 * The key material of the configuration. Missing values are only tolerated with the embedded SQLite
 * database (loadConfig refuses MySQL without them): they are generated once and kept in
 * `secrets.json` beside the database file (mode 0600), so that restarts and the CLI share them.
 */
export function resolveKeyMaterial(config: AppConfig, warn: (message: string) => void = () => undefined): KeyMaterial {
  const missing = KEY_NAMES.filter((name) => config[name] === undefined);
  if (missing.length === 0) return parseKeyMaterial(config as unknown as KeyMaterialEnv);
  if (config.databaseKind !== 'sqlite') throw new Error(`${missing.join(', ')} must be configured with MySQL`);

  const database = config.DATABASE_URL.slice('sqlite:'.length);
  const generated = database === ':memory:' ? generateKeyMaterialEnv() : persistedKeyMaterial(join(dirname(resolve(database)), 'secrets.json'), warn, missing);
  const env = Object.fromEntries(KEY_NAMES.map((name) => [name, config[name] ?? generated[name]])) as unknown as KeyMaterialEnv;
  return parseKeyMaterial(env);
}

function persistedKeyMaterial(file: string, warn: (message: string) => void, missing: readonly string[]): KeyMaterialEnv {
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as KeyMaterialEnv;
    warn(`${missing.join(', ')} not configured: using the generated values in ${file} (embedded database only; set them in the environment for production).`);
    return stored;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`Cannot read ${file}: ${(error as Error).message}`);
  }
  const generated = generateKeyMaterialEnv();
  mkdirSync(dirname(file), { recursive: true });
  try {
    // `wx`: when another process (the CLI, a second start) wrote it first, use theirs.
    writeFileSync(file, `${JSON.stringify(generated, null, 2)}\n`, { flag: 'wx', mode: 0o600 });
    chmodSync(file, 0o600);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return JSON.parse(readFileSync(file, 'utf8')) as KeyMaterialEnv;
    throw error;
  }
  warn(
    `${missing.join(', ')} not configured: generated and stored in ${file} (embedded database only). ` +
      'For production, set them in the environment (npm run cli -- secrets:generate).',
  );
  return generated;
}
