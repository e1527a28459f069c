import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnvFile } from './env-file.js';
import { loadConfig } from './app-config.js';

describe('loadEnvFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'atea-env-'));
  const keys = ['ATEA_ENV_TEST_FROM_FILE', 'ATEA_ENV_TEST_REAL', 'SCIM_MAX_RESULTS'];
  const saved = Object.fromEntries(keys.map((k) => [k, process.env[k]]));
  afterEach(() => {
    for (const key of keys) {
      if (saved[key] === undefined) delete process.env[key];
      else process.env[key] = saved[key];
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fills the environment from .env, and a variable already set wins', () => {
    writeFileSync(
      join(dir, '.env'),
      '# comment\nATEA_ENV_TEST_FROM_FILE="from file # not a comment"\nATEA_ENV_TEST_REAL=from-file\nSCIM_MAX_RESULTS=77\n',
    );
    process.env.ATEA_ENV_TEST_REAL = 'from-environment';
    delete process.env.SCIM_MAX_RESULTS;
    expect(loadEnvFile(dir)).toBe(join(dir, '.env'));
    expect(process.env.ATEA_ENV_TEST_FROM_FILE).toBe('from file # not a comment');
    expect(process.env.ATEA_ENV_TEST_REAL).toBe('from-environment');
    // Loaded before validation, so the configuration sees the file's values.
    expect(loadConfig().SCIM_MAX_RESULTS).toBe(77);
  });

  it('is a no-op without a .env file', () => {
    const empty = mkdtempSync(join(tmpdir(), 'atea-env-'));
    expect(loadEnvFile(empty)).toBeUndefined();
    rmSync(empty, { recursive: true, force: true });
  });
});
