import fc from 'fast-check';
import { dialects, startApp, type TestApp } from './support/test-app.js';
import { adminClient, authorizedTokens, supportAccount } from './support/admin.js';
import { entraUser, scimClient } from './support/scim-client.js';

/**
 * Every admin route of the OpenAPI document (`/admin/docs-json`), so that a new route is fuzzed as
 * soon as it is documented: path, query and body mutations sent by an admin-role support account.
 * Nothing may answer 5xx, and every error is Nest's `{statusCode, message, error}`. Seeded: a
 * failure names the request, and the same seed sends the same requests again.
 */
const SEED = 1414;
/** Random requests per route, after the systematic ones (each field and query parameter mutated alone): about 900 requests per dialect. */
const RUNS_PER_ROUTE = 14;

interface Schema {
  type?: string;
  format?: string;
  enum?: unknown[];
  pattern?: string;
  minimum?: number;
  maximum?: number;
  maxLength?: number;
  example?: unknown;
  items?: Schema;
  properties?: Record<string, Schema>;
  $ref?: string;
}
interface Parameter {
  name: string;
  in: 'path' | 'query';
  schema?: Schema;
}
interface Operation {
  method: string;
  path: string;
  parameters: Parameter[];
  body?: Schema;
}
interface FuzzRequest {
  path: string;
  query: [string, string][];
  /** The body as sent: JSON text, or anything else a client might send. */
  body?: string;
  contentType?: string;
}

/** The text with every lone surrogate replaced, as a URL can carry it. */
const wellFormed = (text: string) => text.replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '\ufffd');

/** The value in one case out of six, undefined otherwise. */
const rarely = <T>(arbitrary: fc.Arbitrary<T>) => fc.oneof({ weight: 5, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary });

/** Nesting `depth` arrays deep. */
const nested = (depth: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

const CONTROL = ['\u0000', 'a\u0000b', '\u0007', '\u001b[31mred', 'line\nbreak', 'tab\there', '\u007f', '\u0085', '\u009b', '\r\n'];
const UNICODE = ['😀'.repeat(70), 'İ'.repeat(150), '\u202eevil', '\ud800', 'a\udc00b', 'ﬀ', '\ufeff', 'Ω≈ç√∫', '𝔘𝔫𝔦𝔠𝔬𝔡𝔢', 'é'.repeat(300)];
const HUGE = ['x'.repeat(10_000), 'y'.repeat(200_000), '%'.repeat(5000)];
const INJECTION = ["' OR '1'='1", '"; DROP TABLE tenants; --', '\\', '%', '_', '../../etc/passwd', '${jndi:ldap://x}', '<script>', '__proto__', 'constructor'];

/** Any value a careless or hostile client might put where a field goes. */
const nastyValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(null) },
  fc.boolean(),
  fc.integer(),
  fc.constantFrom(0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, 4_294_967_296),
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(...CONTROL, ...UNICODE, ...HUGE, ...INJECTION, '', ' ', '   '),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.integer({ min: 2, max: 70 }).map((d) => nested(d)),
  fc.constant(nested(2000)),
  fc.constant(JSON.parse('{"__proto__":{"admin":true}}')),
);

/** Texts for a query string or a path segment (no nulls or numbers there: everything is text). */
const nastyText: fc.Arbitrary<string> = fc.oneof(
  fc.string({ maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom(...CONTROL, ...UNICODE, ...INJECTION, 'x'.repeat(5000)),
  fc.constantFrom('', '-1', '0', '1e309', '99999999999999999999', 'NaN', 'Infinity', 'true', 'null', '[]', '{}', '0x10'),
  fc.constantFrom('+275760-09-13T00:00:00.000Z', '9999-12-31T23:59:59Z', '0000-01-01T00:00:00Z', '1969-12-31', 'not a date', '2024-02-30T00:00:00Z'),
);

/** Malformed or surprising whole bodies, as raw text. */
const rawBodies = fc.constantFrom(
  '',
  '{',
  '{"a":',
  'null',
  '[]',
  '"text"',
  '42',
  'true',
  '{"__proto__":{"admin":true}}',
  '{"constructor":{"prototype":{"admin":true}}}',
  `{"a":${'['.repeat(2000)}${']'.repeat(2000)}}`,
  '{"a":1,"a":2}',
  '\u0000',
  '\ufeff{}',
);

/** What a path segment of this name may be: the ids of real fixtures, and ids that are wrong in every way. */
function pathValue(pools: Record<string, string[]>, name: string): fc.Arbitrary<string> {
  const real = pools[name] ?? [];
  const bad = fc.oneof(
    fc.uuid(),
    fc.uuid().map((id) => id.toUpperCase()),
    fc.constantFrom('not-a-uuid', '00000000-0000-0000-0000-000000000000', '0', '-1', 'a'.repeat(300), 'a'.repeat(8000)),
    nastyText,
  );
  return real.length > 0 ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...real) }, { weight: 1, arbitrary: bad }) : bad;
}

/** A value that fits the schema (as far as a generator can tell from it). */
function validValue(schema: Schema, components: Record<string, Schema>, name = ''): fc.Arbitrary<unknown> {
  if (schema.$ref) return validValue(components[schema.$ref.split('/').pop()!], components);
  if (schema.enum) return fc.constantFrom(...schema.enum);
  switch (schema.type) {
    case 'integer':
    case 'number':
      return fc.integer({ min: schema.minimum ?? -1000, max: schema.maximum ?? 1_000_000 });
    case 'boolean':
      return fc.boolean();
    case 'array':
      return fc.array(validValue(schema.items ?? {}, components), { maxLength: 3 });
    case 'object':
      return fc.constant({});
    default:
      if (schema.format === 'date-time') return fc.date({ noInvalidDate: true, min: new Date(0), max: new Date(4e12) }).map((d) => d.toISOString());
      if (schema.format === 'uuid') return fc.uuid();
      if (/email/i.test(name)) return fc.emailAddress();
      if (/uris?$/i.test(name)) return fc.webUrl({ validSchemes: ['https'] });
      if (schema.pattern) return fc.stringMatching(new RegExp(schema.pattern));
      return fc.oneof(fc.string({ minLength: 1, maxLength: Math.min(schema.maxLength ?? 40, 40) }), ...(schema.example === undefined ? [] : [fc.constant(schema.example)]));
  }
}

/** A body for the schema: fields valid, absent or mutated, unknown fields, or something that is no such body at all. */
function bodyFor(schema: Schema, components: Record<string, Schema>): fc.Arbitrary<Pick<FuzzRequest, 'body' | 'contentType'>> {
  const resolved = schema.$ref ? components[schema.$ref.split('/').pop()!] : schema;
  const fields = Object.entries(resolved.properties ?? {}).map(([name, field]) =>
    fc
      .oneof({ weight: 4, arbitrary: validValue(field, components, name) }, { weight: 2, arbitrary: nastyValue }, { weight: 1, arbitrary: fc.constant(undefined) })
      .map((value) => [name, value] as const),
  );
  const object = fc
    .tuple(fc.tuple(...fields), rarely(fc.tuple(fc.constantFrom('unknownField', 'admin', 'id', 'tenantId', 'role', 'createdAt'), nastyValue)))
    .map(([values, extra]) => {
      const out: Record<string, unknown> = {};
      for (const [name, value] of values) if (value !== undefined) out[name] = value;
      if (extra) out[extra[0]] = extra[1];
      return out;
    });
  const contentType = fc.constantFrom('application/json', 'application/json', 'application/json', 'application/json; charset=utf-8', 'application/merge-patch+json', 'text/plain', 'application/x-www-form-urlencoded');
  const names = Object.keys(resolved.properties ?? {});
  const oneField = names.length === 0 ? object : fc.tuple(fc.constantFrom(...names), nastyValue).map(([name, value]) => ({ [name]: value }));
  return fc.oneof(
    { weight: 4, arbitrary: object.map((value) => ({ body: JSON.stringify(value), contentType: 'application/json' })) },
    { weight: 3, arbitrary: oneField.map((value) => ({ body: JSON.stringify(value), contentType: 'application/json' })) },
    { weight: 1, arbitrary: fc.tuple(nastyValue, contentType).map(([value, type]) => ({ body: JSON.stringify(value) ?? 'null', contentType: type })) },
    { weight: 1, arbitrary: fc.tuple(rawBodies, contentType).map(([body, type]) => ({ body, contentType: type })) },
  );
}

/** What every single field and query parameter is tried with, one at a time, on the fixtures' own ids. */
const FIELD_MUTATIONS: unknown[] = [null, 12345, 'text', true, [], {}, nested(70), 'x\u0000', 'x'.repeat(10_000)];
const QUERY_MUTATIONS = ['', 'text', '-1', '1e309', 'x\u0000', 'x'.repeat(5000)];

/** The systematic requests of an operation (none when a path parameter has no fixture). */
function mutationsOf(op: Operation, pools: Record<string, string[]>, components: Record<string, Schema>): FuzzRequest[] {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  if (pathParams.some((p) => !pools[p.name]?.length)) return [];
  const path = pathParams.reduce((out, p) => out.replace(`{${p.name}}`, encodeURIComponent(pools[p.name][0])), op.path);
  const body = op.body?.$ref ? components[op.body.$ref.split('/').pop()!] : op.body;
  const fields = Object.keys(body?.properties ?? {});
  const queries = op.parameters.filter((p) => p.in === 'query').map((p) => p.name);
  return [
    ...fields.flatMap((name) => FIELD_MUTATIONS.map((value) => ({ path, query: [], body: JSON.stringify({ [name]: value }), contentType: 'application/json' }))),
    ...queries.flatMap((name) => QUERY_MUTATIONS.map((value): FuzzRequest => ({ path, query: [[name, value]] }))),
  ];
}

function requestFor(op: Operation, pools: Record<string, string[]>, components: Record<string, Schema>): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.parameters.filter((p) => p.in === 'path');
  const queryParams = op.parameters.filter((p) => p.in === 'query');
  const path = fc.tuple(...pathParams.map((p) => pathValue(pools, p.name))).map((values) =>
    pathParams.reduce((out, p, i) => out.replace(`{${p.name}}`, encodeURIComponent(wellFormed(values[i]))), op.path),
  );
  const queryValue = (p: Parameter) =>
    fc.oneof(
      { weight: 3, arbitrary: validValue(p.schema ?? {}, components, p.name).map(String) },
      ...(pools[p.name] ? [{ weight: 2, arbitrary: fc.constantFrom(...pools[p.name]) }] : []),
      { weight: 2, arbitrary: nastyText },
    );
  const query = fc
    .tuple(
      fc.tuple(...queryParams.map((p) => fc.option(fc.array(queryValue(p), { minLength: 1, maxLength: 2 }), { nil: undefined, freq: 3 }))),
      rarely(fc.tuple(fc.constantFrom('unknown', 'page[]', '__proto__', 'limit '), nastyText)),
    )
    .map(([values, extra]) => {
      const out: [string, string][] = [];
      queryParams.forEach((p, i) => values[i]?.forEach((v) => out.push([p.name, v])));
      if (extra) out.push(extra);
      return out;
    });
  const body = op.body ? bodyFor(op.body, components) : fc.option(rawBodies.map((b) => ({ body: b, contentType: 'application/json' })), { nil: {}, freq: 4 });
  return fc.tuple(path, query, body).map(([p, q, b]) => ({ path: p, query: q, ...b }));
}

/** The admin operations of the OpenAPI document, reads first and deletions last (the tenant's own last of all). */
function operationsOf(doc: { paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content: Record<string, { schema: Schema }> } }>> }): Operation[] {
  const order = ['get', 'post', 'patch', 'put', 'delete'];
  const ops = Object.entries(doc.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method: method.toUpperCase(),
      path,
      parameters: op.parameters ?? [],
      body: op.requestBody?.content['application/json']?.schema,
    })),
  );
  const rank = (op: Operation) => order.indexOf(op.method.toLowerCase()) * 2 + (op.method === 'DELETE' && op.path === '/admin/v1/tenants/{tenantId}' ? 1 : 0);
  return ops.sort((a, b) => rank(a) - rank(b));
}

/** Why an answer breaks the rules (5xx, or an error that is not Nest's format), or null. */
function problemOf(status: number, text: string): string | null {
  if (status >= 500) return `answered ${status}: ${text.slice(0, 300)}`;
  if (status < 400) return null;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return `answered ${status} with a body that is not JSON: ${text.slice(0, 200)}`;
  }
  const b = body as { statusCode?: unknown; message?: unknown; error?: unknown };
  const messageOk = typeof b.message === 'string' || (Array.isArray(b.message) && b.message.every((m) => typeof m === 'string'));
  const keys = Object.keys(b as object).sort().join(',');
  if (b.statusCode !== status || !messageOk || typeof b.error !== 'string' || keys !== 'error,message,statusCode') {
    return `answered ${status} not in Nest's format: ${text.slice(0, 300)}`;
  }
  return null;
}

const describeRequest = (op: Operation, r: FuzzRequest) =>
  `${op.method} ${r.path.slice(0, 300)}${r.query.length ? `?${new URLSearchParams(r.query.map(([k, v]) => [k, wellFormed(v)] as [string, string])).toString().slice(0, 300)}` : ''}${r.body !== undefined ? ` [${r.contentType}] ${r.body.slice(0, 200)}` : ''}`;

describe.each(dialects())('admin API under fuzzing on %s', (dialect) => {
  let t: TestApp;
  let token: string;

  beforeAll(async () => {
    t = await startApp(dialect);
    token = (await supportAccount(t, 'admin')).token;
  });
  afterAll(() => t?.close());

  const admin = () => adminClient(t.url, token);

  it('refuses JSON nested 2,000 deep with 400 on every body route, before it is transformed', async () => {
    const deep = `{"a":${'['.repeat(2000)}${']'.repeat(2000)}}`;
    const tenant = await t.tenant();
    for (const [method, path] of [
      ['POST', '/tenants'],
      ['PATCH', `/tenants/${tenant.id}`],
      ['POST', '/support-accounts'],
      ['POST', `/tenants/${tenant.id}/admins`],
      ['POST', `/tenants/${tenant.id}/clients`],
      ['POST', `/tenants/${tenant.id}/scim-tokens`],
      ['POST', '/me/tokens'],
    ]) {
      const res = await admin().request(method, path).set('Content-Type', 'application/json').send(deep);
      expect([method, path, res.status, res.body]).toEqual([method, path, 400, { statusCode: 400, message: 'The request body nests objects and arrays deeper than 64 levels', error: 'Bad Request' }]);
    }
    // 64 levels are read (and then refused by validation, as any unknown field is).
    const at64 = await admin().post('/tenants').set('Content-Type', 'application/json').send(`{"a":${'['.repeat(63)}${']'.repeat(63)}}`);
    expect(at64.status).toBe(400);
    expect(at64.body.message).toContain('property a should not exist');
    // The size bound (SCIM_MAX_BODY_BYTES) holds for admin bodies too.
    const huge = await admin().post('/tenants').set('Content-Type', 'application/json').send(JSON.stringify({ slug: 'huge', name: 'n'.repeat(1_100_000) }));
    expect(huge.body).toEqual({ statusCode: 413, message: 'The request body is too large', error: 'Payload Too Large' });
  });

  it('refuses null with 400: for required fields and for optional ones alike, without changing anything', async () => {
    const tenant = await t.tenant();
    for (const body of [{ slug: null }, { name: null }, { slug: null, name: 'Renamed' }]) {
      const res = await admin().patch(`/tenants/${tenant.id}`, body);
      expect(res.status).toBe(400);
      expect(res.body).toEqual({ statusCode: 400, message: expect.arrayContaining([expect.stringMatching(/^(slug|name) must not be null$/)]), error: 'Bad Request' });
    }
    expect((await admin().get(`/tenants/${tenant.id}`)).body).toMatchObject({ slug: tenant.slug, name: `Tenant ${tenant.slug}` });
    expect((await admin().post('/tenants', { slug: null, name: null })).body.message.sort()).toEqual(['name must not be null', 'slug must not be null']);
    expect((await admin().post('/support-accounts', { email: null, role: null })).body.message.sort()).toEqual(['email must not be null', 'role must not be null']);
    expect((await admin().post(`/tenants/${tenant.id}/scim-tokens`, { description: null })).body.message).toEqual(['description must not be null']);
    expect((await admin().post(`/tenants/${tenant.id}/clients`, { redirectUris: null })).status).toBe(400);

    const doc = (await (await fetch(`${t.url}/admin/docs-json`)).json()) as Parameters<typeof operationsOf>[0] & { components: { schemas: Record<string, Schema & { required?: string[] }> } };
    const { schemas } = doc.components;
    expect(schemas.UpdateTenantDto.properties!.name).toMatchObject({ nullable: false, description: expect.stringContaining('`null` is refused') });
    // Every optional field of every request body states what null does: refused, or (nullable) what it means.
    const unstated: string[] = [];
    const seen = new Set<string>();
    const visit = (name: string) => {
      if (seen.has(name)) return;
      seen.add(name);
      for (const [field, property] of Object.entries(schemas[name].properties ?? {})) {
        const p = property as Schema & { nullable?: boolean; description?: string };
        const optional = !(schemas[name].required ?? []).includes(field);
        const stated = p.nullable === false ? /`null` is refused/.test(p.description ?? '') : p.nullable === true && /\bnull\b/.test(p.description ?? '');
        if ((optional || p.nullable !== undefined) && !stated) unstated.push(`${name}.${field}`);
        const ref = p.$ref ?? p.items?.$ref;
        if (ref) visit(ref.split('/').pop()!);
      }
    };
    const bodies = operationsOf(doc).flatMap((op) => (op.body?.$ref ? [op.body.$ref.split('/').pop()!] : []));
    expect(bodies.length).toBeGreaterThanOrEqual(10);
    bodies.forEach(visit);
    expect(unstated).toEqual([]);
  });

  it('refuses control characters in names, slugs, e-mails and descriptions', async () => {
    const tenant = await t.tenant();
    const refused = async (path: string, body: object, method = 'POST') => {
      const res = await admin().request(method, path, body);
      expect([path, res.status]).toEqual([path, 400]);
      return res.body.message as string[];
    };
    expect(await refused('/tenants', { slug: 'nul-name', name: 'Acme\u0000' })).toEqual(['name must not contain control characters']);
    expect(await refused(`/tenants/${tenant.id}`, { name: 'Acme\u0085' }, 'PATCH')).toEqual(['name must not contain control characters']);
    await refused('/tenants', { slug: 'ctl\u0007', name: 'Acme' });
    await refused(`/tenants/${tenant.id}/admins`, { email: 'a\u0000@acme.test' });
    await refused('/support-accounts', { email: 's\u001b@atea.test', role: 'viewer' });
    expect(await refused(`/tenants/${tenant.id}/scim-tokens`, { description: 'Entra\r\nX-Injected: 1' })).toEqual(['description must not contain control characters']);
    expect(await refused(`/tenants/${tenant.id}/clients`, { name: '\u009bEntra' })).toEqual(['name must not contain control characters']);
    expect(await refused('/me/tokens', { name: 'laptop\u007f' })).toEqual(['name must not contain control characters']);
    expect((await admin().get('/tenants?search=%00')).body.message).toEqual(['search must not contain control characters']);
    // Printable Unicode stays welcome.
    expect((await admin().post('/tenants', { slug: 'unicode-name', name: 'Åsa Ünïcødé 😀 İstanbul' })).status).toBe(201);
  });

  it('answers every route of the OpenAPI document without a 5xx, every error in Nest format', async () => {
    // Fixtures for the path parameters: a tenant with an admin, a client, a grant, a SCIM token, a user and a group.
    const tenant = await t.tenant();
    const spare = await t.tenant();
    const tenantAdmin = await t.admin(tenant.id);
    const client = await t.client(tenant.id);
    await authorizedTokens(t, tenant.id);
    const scim = scimClient(t.scimUrl, tenant.token);
    const user = (await scim.post('/Users', entraUser('fuzz.user@contoso.test'))).body as { id: string };
    const group = (await scim.post('/Groups', { schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'], displayName: 'Fuzzers', members: [{ value: user.id }] })).body as { id: string };
    const other = await supportAccount(t, 'operator');
    const otherTokens = (await admin().get(`/support-accounts/${other.id}/tokens`)).body.items as { id: string }[];
    const ownSpareToken = (await admin().post('/me/tokens', { name: 'spare' })).body as { id: string };
    const grants = (await admin().get(`/tenants/${tenant.id}/grants`)).body.items as { id: string }[];
    const scimTokens = (await admin().get(`/tenants/${tenant.id}/scim-tokens`)).body.items as { id: string }[];
    expect([user.id, group.id, grants[0]?.id, scimTokens[0]?.id].every(Boolean)).toBe(true);
    // The fuzzing account's own id and first token are left out: revoking or disabling them would end the run early.
    const pools: Record<string, string[]> = {
      tenantId: [tenant.id, spare.id],
      accountId: [tenantAdmin.id, other.id],
      clientId: [client.clientId],
      secretId: [client.secretId],
      tokenId: [scimTokens[0].id, otherTokens[0].id, ownSpareToken.id],
      userId: [user.id],
      groupId: [group.id],
      grantId: [grants[0].id],
      confirm: [tenant.slug, spare.slug],
      search: [tenant.slug.slice(0, 4)],
      filter: ['userName eq "fuzz.user@contoso.test"', 'displayName sw "F"', `${'('.repeat(300)}userName pr${')'.repeat(300)}`, Array.from({ length: 600 }, (_, i) => `userName eq "u${i}"`).join(' or ')],
    };

    const doc = (await (await fetch(`${t.url}/admin/docs-json`)).json()) as Parameters<typeof operationsOf>[0] & { components: { schemas: Record<string, Schema> } };
    const operations = operationsOf(doc);
    expect(operations.length).toBeGreaterThanOrEqual(40);
    const failures: string[] = [];
    let sent = 0;
    for (const [index, op] of operations.entries()) {
      const requests = [...mutationsOf(op, pools, doc.components.schemas), ...fc.sample(requestFor(op, pools, doc.components.schemas), { seed: SEED + index, numRuns: RUNS_PER_ROUTE })];
      for (const r of requests) {
        const url = `${t.url}${r.path}${r.query.length ? `?${new URLSearchParams(r.query.map(([k, v]) => [k, wellFormed(v)] as [string, string]))}` : ''}`;
        const headers: Record<string, string> = { Authorization: `Bearer ${token}` };
        const body = op.method === 'GET' ? undefined : r.body;
        if (body !== undefined) headers['Content-Type'] = r.contentType ?? 'application/json';
        const res = await fetch(url, { method: op.method, headers, body });
        sent++;
        // A live event stream never ends: its status and headers are what can be checked.
        const live = res.ok && (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
        if (live) await res.body?.cancel();
        const problem = problemOf(res.status, live ? '' : await res.text());
        if (problem) failures.push(`${describeRequest(op, { ...r, body })} ${problem}`);
      }
    }
    expect(sent).toBeGreaterThan(operations.length * RUNS_PER_ROUTE);
    expect(failures).toEqual([]);
  }, 120_000);
});
