import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@app/config';
import { generateKeyMaterialEnv, resolveKeyMaterial } from './key-material.js';

describe('key material', () => {
  it('is required with MySQL: the configuration names every missing variable', () => {
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root@localhost:3306/x' })).toThrow(ConfigError);
    try {
      loadConfig({ DATABASE_URL: 'mysql://root@localhost:3306/x' });
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      for (const name of ['OIDC_JWKS', 'OIDC_COOKIE_KEYS', 'SECRET_ENCRYPTION_KEY']) expect(problems).toContain(`${name} is required with MySQL`);
    }
    expect(() => loadConfig({ DATABASE_URL: 'mysql://root@localhost:3306/x', ...generateKeyMaterialEnv() })).not.toThrow();
  });

  it('validates the formats and the token lifetime range', () => {
    const bad = { OIDC_JWKS: '{"keys":[{"kty":"RSA"}]}', OIDC_COOKIE_KEYS: 'short', SECRET_ENCRYPTION_KEY: 'k1:abc', ACCESS_TOKEN_TTL_SECONDS: '60' };
    try {
      loadConfig(bad);
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toContain('OIDC_JWKS must hold private keys');
      expect(problems).toContain('OIDC_COOKIE_KEYS');
      expect(problems).toContain('SECRET_ENCRYPTION_KEY');
      expect(problems).toContain('ACCESS_TOKEN_TTL_SECONDS');
    }
    expect(loadConfig({ ACCESS_TOKEN_TTL_SECONDS: '21600' }).ACCESS_TOKEN_TTL_SECONDS).toBe(21600);
  });

  it('is generated once beside an SQLite database (mode 0600, with a warning) and reused', () => {
    const dir = mkdtempSync(join(tmpdir(), 'atea-keys-'));
    try {
      const config = loadConfig({ DATABASE_URL: `sqlite:${join(dir, 'atea.sqlite')}` });
      const warnings: string[] = [];
      const first = resolveKeyMaterial(config, (m) => warnings.push(m));
      const file = join(dir, 'secrets.json');
      expect(statSync(file).mode & 0o777).toBe(0o600);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toHaveProperty('OIDC_JWKS');
      expect(warnings[0]).toContain('generated and stored in');
      const second = resolveKeyMaterial(config);
      expect(second.cookieKeys).toEqual(first.cookieKeys);
      expect(second.encryptionKeys[0].key.equals(first.encryptionKeys[0].key)).toBe(true);
      expect(first.jwks.keys[0]).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('uses configured values over generated ones', () => {
    const env = generateKeyMaterialEnv();
    const material = resolveKeyMaterial(loadConfig({ DATABASE_URL: 'sqlite::memory:', ...env }));
    expect(material.cookieKeys).toEqual([env.OIDC_COOKIE_KEYS]);
  });
});
