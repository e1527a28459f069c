import request from 'supertest';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { entraUser, scimClient, SCIM_JSON, type ScimClient } from './support/scim-client.js';

type Page = { status: number; body: Record<string, any> };

/** Cursor paging of /Users and /Groups (RFC 9865). */
describe.each(dialects())('SCIM cursor paging on %s', (dialect) => {
  let t: TestApp;
  let scim: ScimClient;
  let token: string;

  beforeAll(async () => {
    t = await startApp(dialect);
    const tenant = await t.tenant();
    token = tenant.token;
    scim = scimClient(t.scimUrl, token);
    // Titles: some missing, some shared, so sorted paging meets NULLs and ties.
    const titles = ['B', undefined, 'A', 'B', undefined, 'C', 'A'];
    for (const [i, title] of titles.entries()) {
      const res = await scim.post('/Users', entraUser(`user${i}@cursor.example`, { title }));
      expect(res.status).toBe(201);
    }
  });
  afterAll(() => t?.close());

  const get = (path: string): Promise<Page> => scim.get(path);
  const ids = (page: Page) => page.body.Resources.map((r: { id: string }) => r.id) as string[];

  /** Every page from `first`, following nextCursor; and the ids in order. */
  async function walk(path: string, first = `${path}${path.includes('?') ? '&' : '?'}cursor=`) {
    const pages: Page[] = [];
    let page = await get(first);
    pages.push(page);
    while (page.body.nextCursor) {
      page = await get(`${path}${path.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(page.body.nextCursor)}`);
      expect(page.status, JSON.stringify(page.body)).toBe(200);
      pages.push(page);
    }
    return { pages, ids: pages.flatMap(ids) };
  }

  it('is advertised in ServiceProviderConfig', async () => {
    const res = await get('/ServiceProviderConfig');
    expect(res.body.pagination).toMatchObject({ cursor: true, index: true, defaultPaginationMethod: 'index', cursorTimeout: 86400 });
    expect(res.body.pagination.maxPageSize).toBeGreaterThan(0);
  });

  it('pages through every user once, in the order startIndex gives, with next and previous cursors', async () => {
    const byIndex = ids(await get('/Users?startIndex=1&count=100'));
    const { pages, ids: byCursor } = await walk('/Users?count=3');
    expect(byCursor).toEqual(byIndex);
    expect(pages.map((p) => p.body.itemsPerPage)).toEqual([3, 3, 1]);
    expect(pages[0].body.startIndex).toBeUndefined();
    expect(pages[0].body.previousCursor).toBeUndefined();
    expect(pages[1].body.previousCursor).toEqual(expect.any(String));
    expect(pages[2].body.nextCursor).toBeUndefined();

    const back = await get(`/Users?count=3&cursor=${encodeURIComponent(pages[2].body.previousCursor)}`);
    expect(ids(back)).toEqual(ids(pages[1]));
    const first = await get(`/Users?count=3&cursor=${encodeURIComponent(back.body.previousCursor)}`);
    expect(ids(first)).toEqual(ids(pages[0]));
    expect(first.body.previousCursor).toBeUndefined();
    expect(first.body.nextCursor).toEqual(expect.any(String));
  });

  it('sorts as startIndex paging does, NULLs and ties included, both ways', async () => {
    for (const order of ['ascending', 'descending']) {
      const query = `/Users?sortBy=title&sortOrder=${order}&count=2`;
      const byIndex = ids(await get(`/Users?sortBy=title&sortOrder=${order}&count=100`));
      expect((await walk(query)).ids).toEqual(byIndex);
    }
  });

  it('applies the filter and the projection to every page', async () => {
    const { pages, ids: found } = await walk(`/Users?count=1&attributes=userName&filter=${encodeURIComponent('title eq "A" or title eq "C"')}`);
    expect(found).toHaveLength(3);
    expect(Object.keys(pages[1].body.Resources[0]).sort()).toEqual(['id', 'schemas', 'userName']);
  });

  it('stays stable when users are created while a client pages', async () => {
    const before = ids(await get('/Users?count=100'));
    let page = await get('/Users?count=2&cursor');
    const seen = ids(page);
    let n = 0;
    while (page.body.nextCursor) {
      await scim.post('/Users', entraUser(`late${n++}@cursor.example`));
      page = await get(`/Users?count=2&cursor=${encodeURIComponent(page.body.nextCursor)}`);
      seen.push(...ids(page));
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen.slice(0, before.length)).toEqual(before);
    expect(seen.length).toBe(before.length + n);
  });

  it('pages groups, and by POST /Users/.search', async () => {
    for (const name of ['g1', 'g2', 'g3']) {
      await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: name });
    }
    const groups = await walk('/Groups?count=2&excludedAttributes=members');
    expect(groups.ids).toEqual(ids(await get('/Groups?count=100')));
    expect(groups.pages).toHaveLength(2);

    const search = (body: unknown) =>
      request(t.scimUrl).post('/Users/.search').set('Authorization', `Bearer ${token}`).set('Content-Type', SCIM_JSON).send(JSON.stringify(body));
    const first = await search({ cursor: '', count: 4, filter: 'userName sw "user"' });
    expect(first.body.itemsPerPage).toBe(4);
    const second = await search({ cursor: first.body.nextCursor, count: 4, filter: 'userName sw "user"' });
    expect([...ids(first), ...ids(second)]).toEqual(ids(await get(`/Users?count=100&filter=${encodeURIComponent('userName sw "user"')}`)));
  });

  it('refuses forged, altered, foreign and misused cursors with SCIM 400s', async () => {
    const page = await get('/Users?count=2&cursor');
    const cursor: string = page.body.nextCursor;
    const [body, mac] = cursor.split('.');
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString());
    const altered = `${Buffer.from(JSON.stringify({ ...payload, p: { ...payload.p, id: '0' } })).toString('base64url')}.${mac}`;
    const other = await t.tenant();
    const cases: [string, string, string?][] = [
      [`/Users?count=2&cursor=not-a-cursor`, 'invalidCursor'],
      [`/Users?count=2&cursor=${encodeURIComponent(altered)}`, 'invalidCursor'],
      [`/Users?count=2&filter=${encodeURIComponent('title eq "A"')}&cursor=${encodeURIComponent(cursor)}`, 'invalidCursor'],
      [`/Groups?count=2&cursor=${encodeURIComponent(cursor)}`, 'invalidCursor'],
      [`/Users?count=2&cursor=${encodeURIComponent(cursor)}`, 'invalidCursor', other.token],
      [`/Users?count=2&startIndex=3&cursor=${encodeURIComponent(cursor)}`, 'invalidValue'],
    ];
    for (const [path, scimType, bearer] of cases) {
      const res = bearer ? await scimClient(t.scimUrl, bearer).get(path) : await get(path);
      expect(res.status, path).toBe(400);
      expect(res.body).toMatchObject({ status: '400', scimType });
    }
    expect((await get(`/Users?count=2&cursor=${encodeURIComponent(cursor)}`)).status).toBe(200);
  });
});
