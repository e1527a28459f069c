import request from 'supertest';
import { startApp, type TestApp } from './support/test-app.js';
import { entraUser, scimClient, SCIM_JSON } from './support/scim-client.js';

/**
 * The nesting and size bounds of request bodies at every door, each answering in its own format. Parsing does
 * not touch the database, so SQLite alone is enough here; the admin door is covered on both
 * dialects by admin-fuzz.e2e-spec.ts.
 */
describe('JSON nesting bound (JSON_MAX_DEPTH)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp('sqlite', { JSON_MAX_DEPTH: '16' });
  });
  afterAll(() => t?.close());

  const nestedIn = (depth: number) => `${'['.repeat(depth)}"x"${']'.repeat(depth)}`;

  it('SCIM: a body nested deeper than the bound is a SCIM 400 invalidSyntax, one within it is read', async () => {
    const tenant = await t.tenant();
    const scim = scimClient(t.scimUrl, tenant.token);
    const deep = `{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"deep@contoso.test","nickName":${nestedIn(2000)}}`;
    const res = await request(t.scimUrl).post('/Users').set('Authorization', `Bearer ${tenant.token}`).set('Content-Type', SCIM_JSON).send(deep);
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(JSON.parse(res.text)).toMatchObject({ status: '400', scimType: 'invalidSyntax', detail: 'The request body nests objects and arrays deeper than 16 levels' });

    // Brackets inside strings do not count; 16 levels are read and judged by the SCIM rules (here: a wrong type).
    const created = await scim.post('/Users', entraUser('brackets@contoso.test', { displayName: '[[[[[[[[[[[[[[[[[[[[{{{{{{{{{{{{{{{{{{{' }));
    expect(created.status).toBe(201);
    const atBound = await request(t.scimUrl).post('/Users').set('Authorization', `Bearer ${tenant.token}`).set('Content-Type', SCIM_JSON)
      .send(`{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"bound@contoso.test","nickName":${nestedIn(15)}}`);
    expect(atBound.status).toBe(400);
    expect(JSON.parse(atBound.text).detail).not.toContain('nests');
  });

  it('admin: Nest format with the bound from the configuration', async () => {
    const res = await request(t.url).post('/admin/v1/tenants').set('Content-Type', 'application/json').send(`{"slug":${nestedIn(17)}}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ statusCode: 400, message: 'The request body nests objects and arrays deeper than 16 levels', error: 'Bad Request' });
  });

  it('OAuth: the token endpoint reads form bodies only, so deep JSON is an OAuth invalid_request, never a 500', async () => {
    const res = await request(t.url).post('/oauth/token').set('Content-Type', 'application/json').send(`{"grant_type":${nestedIn(2000)}}`);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: 'invalid_request' });
  });

  it('OAuth: a token request over the authorization server\'s 56 KiB bound is an OAuth invalid_request, never a 500', async () => {
    const res = await request(t.url)
      .post('/oauth/token')
      .set('Content-Type', 'application/x-www-form-urlencoded')
      .send(`grant_type=client_credentials&client_id=x&padding=${'a'.repeat(200_000)}`);
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: 'invalid_request', error_description: 'failed to parse the request body' });
  });

  it('sign-in form: a body too deep, too large or of another type is refused with one of the dialog\'s HTML pages', async () => {
    const refused = async (contentType: string, body: string, status: number, reason: string) => {
      const res = await request(t.url).post('/interaction/some-interaction/login').set('Content-Type', contentType).send(body);
      expect([res.status, res.headers['content-type']]).toEqual([status, 'text/html; charset=utf-8']);
      expect(res.headers['content-security-policy']).toContain("default-src 'none'");
      expect(res.text).toContain('This form could not be read');
      expect(res.text).toContain(reason);
    };
    await refused('application/json', `{"email":${nestedIn(2000)}}`, 400, 'What was sent is malformed.');
    await refused('application/x-www-form-urlencoded', `email=a%40b.test&password=${'p'.repeat(70 * 1024)}`, 413, 'What was sent is too large.');
    await refused('text/plain', 'email=a@b.test', 415, 'What was sent is not a web form.');
  });
});
