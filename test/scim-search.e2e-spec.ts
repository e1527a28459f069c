import request from 'supertest';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { entraUser, scimClient, SCIM_JSON, type ScimClient } from './support/scim-client.js';

const SEARCH = 'urn:ietf:params:scim:api:messages:2.0:SearchRequest';

/** `POST …/.search` (RFC 7644 §3.4.3): the list query with its parameters in the body. */
describe.each(dialects())('SCIM POST .search on %s', (dialect) => {
  let t: TestApp;
  let scim: ScimClient;
  let token: string;
  const ids: Record<string, string> = {};

  const search = (path: string, body: unknown, bearer = token) =>
    request(t.scimUrl).post(path).set('Authorization', `Bearer ${bearer}`).set('Content-Type', SCIM_JSON).send(JSON.stringify(body));

  beforeAll(async () => {
    t = await startApp(dialect);
    const tenant = await t.tenant();
    token = tenant.token;
    scim = scimClient(t.scimUrl, token);
    for (const name of ['ann', 'bob', 'cid']) {
      const res = await scim.post('/Users', entraUser(`${name}@search.example`, { title: name === 'cid' ? 'Secret agent' : 'Clerk' }));
      ids[name] = res.body.id;
    }
    const group = await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Searchers', members: [{ value: ids.ann }] });
    ids.group = group.body.id;
  });
  afterAll(() => t?.close());

  it('/Users/.search answers what the same GET answers', async () => {
    const filter = 'userName sw "b" or title eq "Secret agent"';
    const body = { schemas: [SEARCH], filter, sortBy: 'userName', sortOrder: 'descending', attributes: ['userName'], startIndex: 1, count: 10 };
    const res = await search('/Users/.search', body);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/scim\+json/);
    expect(res.body.Resources).toEqual([
      { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: ids.cid, userName: 'cid@search.example' },
      { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: ids.bob, userName: 'bob@search.example' },
    ]);
    const get = await scim.get(`/Users?filter=${encodeURIComponent(filter)}&sortBy=userName&sortOrder=descending&attributes=userName&count=10`);
    expect(res.body).toEqual(get.body);
  });

  it('pages with startIndex and count, and leaves out excludedAttributes', async () => {
    const res = await search('/Users/.search', { schemas: [SEARCH], startIndex: 2, count: 1, sortBy: 'userName', excludedAttributes: ['emails', 'groups'] });
    expect(res.body).toMatchObject({ totalResults: 3, startIndex: 2, itemsPerPage: 1 });
    expect(res.body.Resources[0].id).toBe(ids.bob);
    expect(res.body.Resources[0].emails).toBeUndefined();
    expect(res.body.Resources[0].name).toBeDefined();
  });

  it('/Groups/.search finds groups, without members when excluded', async () => {
    const res = await search('/Groups/.search', { schemas: [SEARCH], filter: 'displayName eq "searchers"', excludedAttributes: ['members'] });
    expect(res.status).toBe(200);
    expect(res.body.totalResults).toBe(1);
    expect(res.body.Resources[0]).toMatchObject({ id: ids.group, displayName: 'Searchers' });
    expect(res.body.Resources[0].members).toBeUndefined();
  });

  it('/.search at the root finds users and groups, paged across both', async () => {
    const all = await search('/.search', { schemas: [SEARCH] });
    expect(all.status).toBe(200);
    expect(all.body.totalResults).toBe(4);
    expect(all.body.Resources.map((r: { id: string }) => r.id)).toEqual([ids.ann, ids.bob, ids.cid, ids.group]);
    expect(all.body.Resources[3].meta.resourceType).toBe('Group');

    const tail = await search('/.search', { schemas: [SEARCH], startIndex: 3, count: 2, attributes: ['userName', 'displayName'] });
    expect(tail.body).toMatchObject({ totalResults: 4, startIndex: 3, itemsPerPage: 2 });
    expect(tail.body.Resources).toEqual([
      { schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'], id: ids.cid, userName: 'cid@search.example' },
      { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], id: ids.group, displayName: 'Searchers' },
    ]);

    // A filter on an attribute of one type finds resources of that type only.
    const users = await search('/.search', { filter: 'userName eq "ann@search.example"' });
    expect(users.body.Resources.map((r: { id: string }) => r.id)).toEqual([ids.ann]);
    const groups = await search('/.search', { filter: 'displayName eq "Searchers"' });
    expect(groups.body.Resources.map((r: { id: string }) => r.id)).toEqual([ids.group]);
  });

  it('answers a bad search with a SCIM 400, and an unknown token with 401', async () => {
    const cases: [string, unknown, string][] = [
      ['/Users/.search', { filter: 'userName eq' }, 'invalidFilter'],
      ['/Users/.search', { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'] }, 'invalidSyntax'],
      ['/Groups/.search', { attributes: 'displayName', count: 'ten' }, 'invalidValue'],
      ['/.search', { filter: 'nosuch eq "x"' }, 'invalidFilter'],
      ['/.search', { sortBy: 'userName' }, 'invalidValue'],
    ];
    for (const [path, body, scimType] of cases) {
      const res = await search(path, body);
      expect(res.status, `${path} ${JSON.stringify(body)}`).toBe(400);
      expect(res.body).toMatchObject({ schemas: ['urn:ietf:params:scim:api:messages:2.0:Error'], status: '400', scimType });
    }
    const bad = await search('/Users/.search', { schemas: [SEARCH] }, 'not-a-token-of-ours-at-all');
    expect(bad.status).toBe(401);
  });

  it('never shows another tenant\'s users', async () => {
    const other = await t.tenant();
    const res = await search('/.search', { schemas: [SEARCH] }, other.token);
    expect(res.body.totalResults).toBe(0);
    const users = await search('/Users/.search', { filter: 'userName eq "ann@search.example"' }, other.token);
    expect(users.body.totalResults).toBe(0);
  });
});
