import { Agent, request as httpRequest, type OutgoingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { entraUser, ENTERPRISE, PATCH_OP } from './support/scim-client.js';

/**
 * Random requests at the real service, over HTTP, on each database: filters, PATCH and JSON bodies,
 * URLs and ids, headers. Whatever a client sends, the service answers without a 5xx, and every
 * answer under /scim is application/scim+json, with a SCIM Error body when it is an error. Seeded
 * and bounded: the same requests every run.
 */

const ERROR_URN = 'urn:ietf:params:scim:api:messages:2.0:Error';
/** Fixed, so that every run sends the same requests; SCIM_FUZZ_SEED explores others (SCIM_FUZZ_RUNS multiplies the runs). */
const SEED = Number(process.env.SCIM_FUZZ_SEED ?? 20261130);
const RUNS = Number(process.env.SCIM_FUZZ_RUNS ?? 1);

interface FuzzRequest {
  method: string;
  path: string;
  headers?: OutgoingHttpHeaders;
  body?: string;
}

interface FuzzResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

function send(base: string, req: FuzzRequest): Promise<FuzzResponse> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { host: url.hostname, port: url.port, method: req.method, path: req.path, headers: req.headers, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(req.body);
  });
}

/** Percent-encodes text as UTF-8 bytes (a lone surrogate becomes U+FFFD, as any client would send it). */
function encode(text: string): string {
  return [...Buffer.from(text, 'utf8')].map((b) => (/[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, '0')}`)).join('');
}

/** Encodes a query parameter value, spaces as '+' (keeps long filters within Node's 16 KiB limit of the request line). */
const encodeQuery = (text: string): string => encode(text).replaceAll('%20', '+');

/** What the service must do with every request, whatever it is. */
function checkAnswer(req: FuzzRequest, res: FuzzResponse): void {
  const what = `${req.method} ${req.path.slice(0, 300)} ${JSON.stringify(req.headers ?? {}).slice(0, 300)} ${(req.body ?? '').slice(0, 500)}\n→ ${res.status} ${res.text.slice(0, 500)}`;
  expect(res.status, what).toBeLessThan(500);
  if (!/^\/scim(\/|\?|$)/i.test(req.path)) return;
  if (res.text.length > 0 || res.status >= 400) expect(res.headers['content-type'], what).toMatch(/^application\/scim\+json/);
  if (res.status >= 400 && req.method !== 'HEAD') {
    const body = JSON.parse(res.text);
    expect(body.schemas, what).toEqual([ERROR_URN]);
    expect(body.status, what).toBe(String(res.status));
  }
}

// ---- Values: unicode edge cases, long text, ordinary text ------------------------------------------

const EDGE_TEXT = [
  'İ',
  'İ'.repeat(200),
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\ud83d',
  '😀',
  '😀'.repeat(300),
  'ß',
  'ﬃ',
  '\u202e',
  '\ufeff',
  '\r\n',
  '"',
  '\\',
  "'",
  '%',
  '%00',
  '_',
  '!',
  '',
  ' ',
  'a'.repeat(256),
  'a'.repeat(5000),
  'jdoe@contoso.com',
  '2026-01-31T12:00:00Z',
  'true',
  'null',
];
const text: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...EDGE_TEXT),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 20 }),
  fc.array(fc.constantFrom(...EDGE_TEXT.slice(0, 16)), { maxLength: 4 }).map((parts) => parts.join('')),
);
const json: fc.Arbitrary<unknown> = fc.oneof(text, fc.jsonValue({ maxDepth: 3 }), fc.constant(null), fc.integer(), fc.boolean(), fc.double());

// ---- Filters: grammar fragments, assembled at random ----------------------------------------------

const ATTRIBUTES = [
  'userName',
  'USERNAME',
  'id',
  'externalId',
  'displayName',
  'active',
  'title',
  'name.givenName',
  'name.familyName',
  'emails',
  'emails.value',
  'emails.type',
  'emails.primary',
  'phoneNumbers.value',
  'groups.value',
  'members.value',
  'members',
  'meta.created',
  'meta.lastModified',
  'urn:ietf:params:scim:schemas:core:2.0:User:userName',
  `${ENTERPRISE}:department`,
  `${ENTERPRISE}:manager`,
  `${ENTERPRISE}:manager.value`,
  'addresses.locality',
  'nosuch',
  '$ref',
  'a.b.c',
  'urn:x:',
];
const OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le', 'EQ', 'Co', 'xx'];
const attribute = fc.constantFrom(...ATTRIBUTES);
const literal = fc.oneof(
  text.map((t) => JSON.stringify(t)),
  fc.constantFrom('true', 'false', 'null', '1', '-2.5e3', '"2026-01-31T12:00:00Z"', 'bare', '"unterminated', '"\\u12"', '"\\q"'),
);
const comparison = fc.oneof(
  fc.tuple(attribute, fc.constantFrom(...OPERATORS), literal).map(([a, op, v]) => `${a} ${op} ${v}`),
  attribute.map((a) => `${a} pr`),
);
const { filter } = fc.letrec<{ filter: string }>((tie) => ({
  filter: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    comparison,
    fc.tuple(tie('filter'), fc.constantFrom('and', 'or', 'AND', 'Or'), tie('filter')).map(([l, op, r]) => `${l} ${op} ${r}`),
    tie('filter').map((f) => `not (${f})`),
    tie('filter').map((f) => `(${f})`),
    fc.tuple(fc.constantFrom('emails', 'phoneNumbers', 'members', 'addresses', 'userName'), tie('filter')).map(([a, f]) => `${a}[${f}]`),
    fc.tuple(fc.constantFrom('emails', 'phoneNumbers'), literal).map(([a, v]) => `${a}[type eq "work"].value eq ${v}`),
  ),
}));
const FRAGMENTS = ['(', ')', '[', ']', 'and', 'or', 'not', 'pr', 'eq', '"x"', 'userName', 'emails', '.', ' ', '\t', '"', 'İ', '\u0000'];
const filterText = fc.oneof(
  { weight: 5, arbitrary: filter },
  { weight: 2, arbitrary: fc.array(fc.constantFrom(...FRAGMENTS), { maxLength: 30 }).map((parts) => parts.join(' ')) },
  { weight: 1, arbitrary: fc.tuple(comparison, fc.constantFrom('or', 'and'), fc.integer({ min: 50, max: 1200 })).map(([c, op, n]) => Array.from({ length: n }, () => c).join(` ${op} `).slice(0, 12_000)) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 90 }).map((n) => `${'not ('.repeat(n)}userName pr${')'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 90 }).map((n) => `${'('.repeat(n)}id pr${')'.repeat(n)}`) },
  { weight: 1, arbitrary: text },
);

// ---- PATCH operations ------------------------------------------------------------------------------

const PATHS = [
  'userName',
  'active',
  'displayName',
  'externalId',
  'name.givenName',
  'emails',
  'emails[type eq "work"].value',
  'emails[type eq "work"]',
  'emails[value co "@"].primary',
  'phoneNumbers[type eq "mobile"].value',
  'members',
  'members[value eq "x"]',
  `${ENTERPRISE}:manager`,
  `${ENTERPRISE}:department`,
  'id',
  'meta.version',
  'schemas',
  'addresses[type eq "work"].streetAddress',
  'roles',
  'nosuch.sub',
];
const patchPath = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...PATHS) },
  { weight: 1, arbitrary: filter.map((f) => `emails[${f}].value`) },
  { weight: 1, arbitrary: filter.map((f) => `members[${f}]`) },
  { weight: 1, arbitrary: text },
);
const operation = fc.record(
  {
    op: fc.constantFrom('add', 'replace', 'remove', 'Add', 'Replace', 'REMOVE', 'copy', '', 7),
    path: patchPath,
    value: fc.oneof(
      json,
      fc.dictionary(fc.constantFrom(...PATHS, 'value', 'members', 'emails', 'userName', 'active'), json, { maxKeys: 4 }),
      fc.array(fc.record({ value: json, type: fc.constantFrom('work', 'home', ''), display: json }, { requiredKeys: [] }), { maxLength: 3 }),
    ),
  },
  { requiredKeys: ['op'] },
);
const patchBody = fc.oneof(
  { weight: 5, arbitrary: fc.array(operation, { maxLength: 4 }).map((ops) => JSON.stringify({ schemas: [PATCH_OP], Operations: ops })) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.record({ schemas: json, Operations: json }, { requiredKeys: [] }).map((v) => JSON.stringify(v)) },
);

// ---- Resource bodies -------------------------------------------------------------------------------

const userBody = fc.oneof(
  fc.record(
    {
      schemas: fc.oneof(fc.constant(['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE]), json),
      userName: json,
      externalId: json,
      active: json,
      displayName: json,
      name: fc.oneof(json, fc.record({ givenName: json, familyName: json, formatted: json }, { requiredKeys: [] })),
      emails: fc.oneof(json, fc.array(fc.record({ value: json, type: json, primary: json }, { requiredKeys: [] }), { maxLength: 3 })),
      phoneNumbers: fc.oneof(json, fc.array(fc.record({ value: json, type: json }, { requiredKeys: [] }), { maxLength: 3 })),
      [ENTERPRISE]: fc.oneof(json, fc.record({ manager: json, department: json }, { requiredKeys: [] })),
      addresses: json,
      roles: json,
      meta: json,
      id: json,
    },
    { requiredKeys: [] },
  ),
  text.map((t) => entraUser(t)),
);
const groupBody = fc.record(
  {
    schemas: fc.oneof(fc.constant(['urn:ietf:params:scim:schemas:core:2.0:Group']), json),
    displayName: json,
    externalId: json,
    members: fc.oneof(json, fc.array(fc.oneof(fc.record({ value: json, display: json, $ref: json }, { requiredKeys: [] }), json), { maxLength: 3 })),
  },
  { requiredKeys: [] },
);
const rawBody = fc.oneof(
  fc.constantFrom('', '{', '[]', 'null', '"x"', '{"__proto__":{"a":1}}', '{"constructor":{"prototype":{}}}', '\u0000', '{"userName":"\\ud800"}'),
  fc.string({ maxLength: 50 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
);

// ---- Headers ---------------------------------------------------------------------------------------

const CONTENT_TYPES = [
  'application/scim+json',
  'application/json',
  'application/scim+json; charset=utf-8',
  'application/json; charset=utf-16',
  'application/vnd.x+json',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'text/plain',
  'application/xml',
  'application/*',
  '*/*',
  'garbage',
  ';;;',
  'application/scim+json; charset',
];
const ACCEPTS = ['application/scim+json', 'application/json', '*/*', 'text/html', 'application/xml', '', 'application/scim+json;q=0', 'garbage/;;'];
const EXTRA_HEADERS = ['Content-Encoding', 'Accept-Version', 'Accept-Charset', 'Accept-Encoding', 'client-request-id', 'X-Request-Id', 'If-None-Match', 'Origin', 'X-Forwarded-For', 'X-Forwarded-Proto', 'X-HTTP-Method-Override', 'Cookie', 'Range'];
const latin1 = (value: string) => /^[\t\x20-\x7e\x80-\xff]*$/.test(value);
const headerText = fc.oneof(fc.constantFrom('*', 'W/"1"', 'W/"2"', '"1"', 'W/""', 'W/"x', ''), fc.string({ maxLength: 40 })).filter(latin1);

describe.each(dialects())('SCIM fuzz over HTTP on %s', (dialect) => {
  let t: TestApp;
  let auth: { Authorization: string };
  let userIds: string[] = [];
  let groupIds: string[] = [];

  beforeAll(async () => {
    t = await startApp(dialect);
    const tenant = await t.tenant();
    auth = { Authorization: `Bearer ${tenant.token}` };
    for (let i = 0; i < 3; i++) {
      const user = await send(t.url, { method: 'POST', path: '/scim/v2/Users', headers: { ...auth, 'Content-Type': 'application/scim+json' }, body: JSON.stringify(entraUser(`fuzz-${i}@contoso.com`)) });
      expect(user.status).toBe(201);
      userIds.push(JSON.parse(user.text).id);
    }
    const group = await send(t.url, {
      method: 'POST',
      path: '/scim/v2/Groups',
      headers: { ...auth, 'Content-Type': 'application/scim+json' },
      body: JSON.stringify({ schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Fuzz', members: [{ value: userIds[0] }] }),
    });
    expect(group.status).toBe(201);
    groupIds = [JSON.parse(group.text).id];
  });
  afterAll(async () => {
    await t?.close();
    userIds = [];
  });

  /** Runs `runs` random requests and checks every answer; returns how many got each status class (2xx, 4xx). */
  async function fuzz(arbitrary: fc.Arbitrary<FuzzRequest>, runs: number): Promise<Record<string, number>> {
    const classes: Record<string, number> = {};
    await fc.assert(
      fc.asyncProperty(arbitrary, async (req) => {
        const res = await send(t.url, req);
        checkAnswer(req, res);
        const statusClass = `${Math.floor(res.status / 100)}xx`;
        classes[statusClass] = (classes[statusClass] ?? 0) + 1;
      }),
      { seed: SEED, numRuns: runs * RUNS, endOnFailure: true },
    );
    return classes;
  }

  const json = (body: string, extra: OutgoingHttpHeaders = {}): OutgoingHttpHeaders => ({ ...auth, 'Content-Type': 'application/scim+json', 'Content-Length': Buffer.byteLength(body), ...extra });
  const resource = fc.constantFrom('Users', 'Groups', 'users', 'GROUPS');

  it('filters and list parameters', async () => {
    const query = fc.record(
      {
        filter: filterText,
        startIndex: fc.oneof(fc.integer({ min: -5, max: 1e6 }).map(String), text),
        count: fc.oneof(fc.integer({ min: -5, max: 1e6 }).map(String), text),
        sortBy: fc.oneof(attribute, text),
        sortOrder: fc.constantFrom('ascending', 'descending', 'up', ''),
        attributes: fc.oneof(attribute, text),
        excludedAttributes: fc.oneof(attribute, text),
      },
      { requiredKeys: ['filter'] },
    );
    const classes = await fuzz(
      fc.tuple(resource, query).map(([r, q]) => ({
        method: 'GET',
        path: `/scim/v2/${r}?${Object.entries(q).map(([k, v]) => `${k}=${encodeQuery(v)}`).join('&')}`,
        headers: auth,
      })),
      500,
    );
    // Not every request is refused at the door: some filters run.
    expect(classes['2xx']).toBeGreaterThan(10);
  });

  it('PATCH bodies', async () => {
    const classes = await fuzz(
      fc.tuple(fc.boolean(), fc.nat(), patchBody, fc.option(headerText, { nil: undefined })).map(([users, i, body, ifMatch]) => ({
        method: 'PATCH',
        path: users ? `/scim/v2/Users/${userIds[i % userIds.length]}` : `/scim/v2/Groups/${groupIds[0]}`,
        headers: json(body, ifMatch === undefined ? {} : { 'If-Match': ifMatch }),
        body,
      })),
      500,
    );
    expect(classes['2xx']).toBeGreaterThan(10);
  });

  it('JSON bodies of POST and PUT', async () => {
    const classes = await fuzz(
      fc
        .tuple(fc.constantFrom('POST', 'PUT'), fc.oneof(userBody.map((b) => ['Users', JSON.stringify(b)] as const), groupBody.map((b) => ['Groups', JSON.stringify(b)] as const), fc.tuple(resource, rawBody)), fc.nat())
        .map(([method, [r, body], i]) => ({
          method,
          path: method === 'POST' ? `/scim/v2/${r}` : `/scim/v2/${r}/${r.toLowerCase() === 'users' ? userIds[i % userIds.length] : groupIds[0]}`,
          headers: json(body),
          body,
        })),
      500,
    );
    expect(classes['2xx']).toBeGreaterThan(10);
  });

  it('URLs and ids', async () => {
    const id = fc.oneof(
      fc.constantFrom(...userIds, ...groupIds, '%', '%zz', '%00', '..', '.', '%2F', 'a'.repeat(9000), 'a'.repeat(8192), '%F0%9F%98%80', '%ED%A0%80', '%C4%B0'.repeat(100)),
      text.map(encode),
    );
    const path = fc.oneof(
      fc.tuple(resource, id).map(([r, i]) => `/scim/v2/${r}/${i}`),
      fc.tuple(fc.constantFrom('/scim/v2', '/scim', '/SCIM/V2', '/scim/v1', '/scim/v2/', '/scim/v2/Schemas', '/scim/v2/ResourceTypes', '/scim/v2/ServiceProviderConfig'), id).map(([p, i]) => `${p}/${i}`),
      fc.constantFrom('/scim', '/scim/', '/scim/v2', '/scim/v2/.search', '/scim/v2/Users/.search', '/scim/v2/Bulk', '/scim/v2/Me', '/scim//v2/Users', '/scim/v2/Users?', '/scim/v2/Users?filter', '/scim/v2/Users?filter=', '/scim/v2/Users?&&&', '/scim/v2/Users?filter=%', `/scim/v2/Users?filter=${'a'.repeat(17_000)}`),
    );
    await fuzz(
      fc.tuple(fc.constantFrom('GET', 'DELETE', 'PUT', 'PATCH', 'POST', 'HEAD', 'OPTIONS'), path, rawBody).map(([method, p, body]) => ({
        method,
        path: p,
        headers: method === 'GET' || method === 'HEAD' || method === 'DELETE' || method === 'OPTIONS' ? auth : json(body),
        body: method === 'GET' || method === 'HEAD' || method === 'DELETE' || method === 'OPTIONS' ? undefined : body,
      })),
      300,
    );
  });

  it('headers: content types, Accept, If-Match, credentials', async () => {
    const authorization = fc.oneof(
      { weight: 4, arbitrary: fc.constant(auth.Authorization) },
      { weight: 1, arbitrary: fc.constantFrom('', 'Bearer', 'Bearer ', 'Basic Zm9vOmJhcg==', `Bearer ${'x'.repeat(5000)}`, 'bearer atea_scim_nope', auth.Authorization.toLowerCase()) },
      { weight: 1, arbitrary: headerText.map((h) => `Bearer ${h}`) },
    );
    await fuzz(
      fc
        .tuple(
          fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE'),
          fc.nat(),
          fc.oneof(fc.constantFrom(...CONTENT_TYPES), headerText),
          fc.oneof(fc.constantFrom(...ACCEPTS), headerText),
          fc.option(headerText, { nil: undefined }),
          authorization,
          fc.oneof(userBody.map((b) => JSON.stringify(b)), patchBody, rawBody),
          fc.dictionary(fc.constantFrom(...EXTRA_HEADERS), fc.oneof(fc.constantFrom('gzip', 'br', 'identity', '1', '100-continue', 'x'.repeat(300), 'İ'), headerText).filter(latin1), { maxKeys: 3 }),
        )
        .map(([method, i, contentType, accept, ifMatch, authorizationHeader, body, extra]) => {
          const withBody = method !== 'GET' && method !== 'DELETE';
          const target = method === 'POST' ? '/scim/v2/Users' : `/scim/v2/Users/${userIds[i % userIds.length]}`;
          const headers: OutgoingHttpHeaders = { ...extra, 'Content-Type': contentType, Accept: accept, Authorization: authorizationHeader };
          if (ifMatch !== undefined) headers['If-Match'] = ifMatch;
          if (withBody) headers['Content-Length'] = Buffer.byteLength(body);
          return { method, path: target, headers, body: withBody ? body : undefined };
        }),
      300,
    );
  });
});
