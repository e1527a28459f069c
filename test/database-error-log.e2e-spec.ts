import { randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { adminClient, supportAccount } from './support/admin.js';
import { CapturingLogger } from './support/capturing-logger.js';
import { entraUser, scimClient } from './support/scim-client.js';
import { dialects, startApp, type TestApp } from './support/test-app.js';

/** A value that must never reach the log, shaped like a live API key. */
const secretLike = () => `sk_live_${randomBytes(12).toString('hex')}`;

describe.each(dialects())('a failing query in the service log (%s)', (dialect) => {
  const logger = new CapturingLogger();
  let t: TestApp;
  let db: DataSource;

  beforeAll(async () => {
    t = await startApp(dialect, {}, { logger });
    db = t.app.get(DataSource);
  });
  afterAll(() => t?.close());

  const databaseErrors = () => logger.lines.filter((line) => line.includes('Database error'));

  it('admin door: 500 in Nest format, logged with the driver code and the statement with placeholders, never a parameter', async () => {
    const tenant = await t.tenant();
    const { token } = await supportAccount(t, 'operator');
    const secret = secretLike();
    // The column the insert names is gone: the INSERT fails in the database with the secret as a parameter.
    await db.query('ALTER TABLE scim_tokens RENAME COLUMN description TO description_gone');
    try {
      const res = await adminClient(t.url, token).post(`/tenants/${tenant.id}/scim-tokens`, { description: secret });
      expect(res.status).toBe(500);
      expect(res.body).toEqual({ statusCode: 500, message: 'Internal server error', error: 'Internal Server Error' });
    } finally {
      await db.query('ALTER TABLE scim_tokens RENAME COLUMN description_gone TO description');
    }
    const [line, ...others] = databaseErrors();
    expect(others).toEqual([]);
    expect(line).toMatch(dialect === 'sqlite' ? /Database error SQLITE_ERROR/ : /Database error ER_BAD_FIELD_ERROR errno 1054 sqlstate 42S22/);
    expect(line).toMatch(/statement: INSERT INTO [`"]scim_tokens[`"].*VALUES \(\?/);
    expect(line).toMatch(/parameters: \d+ \(values not logged\)/);
    expect(logger.lines.join('\n')).not.toContain(secret);
  });

  it('SCIM door: 500 as a SCIM Error, logged the same way', async () => {
    logger.clear();
    const tenant = await t.tenant();
    const secret = secretLike();
    await db.query('ALTER TABLE scim_users RENAME COLUMN display_name TO display_name_gone');
    try {
      const res = await scimClient(t.scimUrl, tenant.token).post('/Users', entraUser(`${secret}@example.test`, { displayName: secret }));
      expect(res.status).toBe(500);
      expect(JSON.parse(res.text)).toMatchObject({ status: '500' });
    } finally {
      await db.query('ALTER TABLE scim_users RENAME COLUMN display_name_gone TO display_name');
    }
    const lines = databaseErrors();
    expect(lines.length).toBeGreaterThan(0);
    expect(lines[0]).toMatch(dialect === 'sqlite' ? /Database error SQLITE_ERROR/ : /Database error ER_BAD_FIELD_ERROR errno 1054/);
    expect(lines[0]).toMatch(/statement: .*\?/);
    expect(logger.lines.join('\n')).not.toContain(secret);
  });

  it('bookkeeping: a failed update of a token\'s last use is a warning with the code and the statement, and the request is served', async () => {
    logger.clear();
    const tenant = await t.tenant();
    // The token is still read; only the update of its last use is refused, by a trigger.
    await db.query(
      dialect === 'sqlite'
        ? "CREATE TRIGGER refuse_token_use BEFORE UPDATE ON scim_tokens BEGIN SELECT RAISE(ABORT, 'token use refused'); END"
        : "CREATE TRIGGER refuse_token_use BEFORE UPDATE ON scim_tokens FOR EACH ROW SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'token use refused'",
    );
    try {
      expect((await scimClient(t.scimUrl, tenant.token).get('/Users')).status).toBe(200);
    } finally {
      await db.query('DROP TRIGGER refuse_token_use');
    }
    const lines = logger.lines.filter((line) => line.includes('Could not record the use of SCIM token'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(dialect === 'sqlite' ? /: Database error SQLITE_CONSTRAINT_TRIGGER.*: token use refused/ : /: Database error ER_SIGNAL_EXCEPTION errno 1644 sqlstate 45000: token use refused/);
    expect(lines[0]).toMatch(/statement: UPDATE [`"]scim_tokens[`"] SET .*\?/);
    expect(lines[0]).toMatch(/parameters: \d+ \(values not logged\)/);
    expect(lines[0]).not.toMatch(/^\s+at /m);
    expect(logger.lines.join('\n')).not.toContain(tenant.token);
  });
});
