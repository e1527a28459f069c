import { randomUUID } from 'node:crypto';
import { createConnection } from 'mysql2/promise';
import { bootApp, type TestApp } from '../support/test-app.js';
import { entraUser } from '../support/scim-client.js';
import { galeraMissing, startCluster, type GaleraCluster } from './cluster.mjs';

const missing: string | null = galeraMissing();
if (missing && process.env.CI === 'true') throw new Error(`The Galera suite needs Galera under CI=true: ${missing}`);
if (missing) console.warn(`\nSkipping the Galera suite: ${missing}\n`);

const DATABASE = 'atea_galera';
const GROUP = 'urn:ietf:params:scim:schemas:core:2.0:Group';
const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

interface Answer {
  status: number;
  retryAfter: string | null;
  body: Record<string, any>;
}

describe.skipIf(missing)('three Galera nodes, two app instances on two nodes', () => {
  let cluster: GaleraCluster;
  let a: TestApp;
  let b: TestApp;
  let c: TestApp | undefined;
  let token: string;
  let tenantId: string;

  beforeAll(async () => {
    cluster = await startCluster({ log: (line) => console.log(line) });
    const admin = await createConnection({ uri: cluster.url(1) });
    await admin.query(`CREATE DATABASE ${DATABASE} CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci`);
    await admin.end();
    // One after the other: the first applies the migrations, the second finds them applied.
    a = await bootApp(cluster.url(1, DATABASE));
    b = await bootApp(cluster.url(2, DATABASE));
    ({ token, id: tenantId } = await a.tenant());
  });
  afterAll(async () => {
    await a?.close().catch(() => undefined);
    await b?.close().catch(() => undefined);
    await c?.close().catch(() => undefined);
    await cluster?.stop();
  });

  async function send(app: TestApp, method: string, path: string, body?: unknown): Promise<Answer> {
    const res = await fetch(`${app.scimUrl}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/scim+json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, retryAfter: res.headers.get('retry-after'), body: text ? JSON.parse(text) : {} };
  }

  /** Rows of `sql` on every node, once each node has applied what was committed before the call. */
  async function onEveryNode(sql: string, params: unknown[]): Promise<Record<string, any>[][]> {
    const out = [];
    for (const n of [1, 2, 3]) {
      const node = await createConnection({ uri: cluster.url(n, DATABASE) });
      try {
        await node.query('SET SESSION wsrep_sync_wait = 1');
        const [rows] = await node.query(sql, params);
        out.push(rows as Record<string, any>[]);
      } finally {
        await node.end();
      }
    }
    return out;
  }

  /** The answers that are not `expected`, counted by status and detail (equal to {} when there is none). */
  const unexpected = (answers: Answer[], expected: (r: Answer) => boolean) => {
    const counts: Record<string, number> = {};
    for (const r of answers.filter((x) => !expected(x))) {
      const key = `${r.status} ${r.body.detail ?? r.body.message ?? ''}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  };

  it('150 rounds of 40 racing creates of one userName: one 201 per round, the rest 409, every created user on every node', async () => {
    const created = new Map<string, string>();
    const problems: string[] = [];
    for (let round = 0; round < 150; round++) {
      const userName = `race-${round}-${randomUUID().slice(0, 8)}@contoso.com`;
      const answers = await Promise.all(Array.from({ length: 40 }, (_, i) => send(i % 2 ? b : a, 'POST', '/Users', entraUser(userName))));
      const wins = answers.filter((r) => r.status === 201);
      const others = unexpected(answers, (r) => r.status === 201 || r.status === 409);
      if (wins.length !== 1 || Object.keys(others).length > 0) problems.push(`round ${round}: ${wins.length} × 201, others ${JSON.stringify(others)}`);
      for (const win of wins) created.set(win.body.id, userName);
    }
    expect(problems).toEqual([]);
    const ids = [...created.keys()];
    for (const rows of await onEveryNode('SELECT id, user_name FROM scim_users WHERE tenant_id = ? AND id IN (?)', [tenantId, ids])) {
      expect(rows.length).toBe(ids.length);
      for (const row of rows) expect(row.user_name).toBe(created.get(row.id));
    }
    // One "create 201" event per created user, none for a create that did not happen.
    for (const rows of await onEveryNode(
      "SELECT COUNT(*) AS n, COUNT(DISTINCT resource_id) AS d FROM provisioning_events WHERE tenant_id = ? AND operation = 'create' AND status = 201 AND resource_type = 'User'",
      [tenantId],
    )) {
      expect({ n: Number(rows[0].n), d: Number(rows[0].d) }).toEqual({ n: ids.length, d: ids.length });
    }
  });

  it('100 racing member adds to one group from both instances: no 5xx, every member present on every node', async () => {
    const group = await send(a, 'POST', '/Groups', { schemas: [GROUP], displayName: `Racers ${randomUUID().slice(0, 8)}` });
    expect(group.status).toBe(201);
    const members: string[] = [];
    for (let i = 0; i < 100; i += 20) {
      const batch = await Promise.all(
        Array.from({ length: 20 }, (_, j) => send(j % 2 ? b : a, 'POST', '/Users', entraUser(`member-${i + j}-${randomUUID().slice(0, 8)}@contoso.com`))),
      );
      for (const r of batch) {
        expect(r.status).toBe(201);
        members.push(r.body.id);
      }
    }
    const answers = await Promise.all(
      members.map((id, i) => send(i % 2 ? b : a, 'PATCH', `/Groups/${group.body.id}`, { schemas: [PATCH_OP], Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }] })),
    );
    expect(unexpected(answers, (r) => r.status === 200 || r.status === 204)).toEqual({});
    for (const rows of await onEveryNode('SELECT member_id FROM scim_group_members WHERE tenant_id = ? AND group_id = ?', [tenantId, group.body.id])) {
      expect(rows.map((r) => r.member_id).sort()).toEqual([...members].sort());
    }
  });

  it('node 2 killed and restarted under load: no 500 (another host serves, or 503 with Retry-After), every created user on every node', async () => {
    // C names nodes 2 and 3: it works on node 2 and must move to node 3 when node 2 dies.
    // (Closed with the others: closing one of several apps of a process closes their data sources.)
    c = await bootApp(`mysql://root@127.0.0.1:${cluster.port(2)},127.0.0.1:${cluster.port(3)}/${DATABASE}`);
    const answers: Promise<Answer & { userName: string; sentAt: number; via: 'a' | 'c' }>[] = [];
    let stop = false;
    // 20 creates per second on each of A (node 1) and C, without waiting for the answers.
    const load = (async () => {
      for (let i = 0; !stop; i++) {
        for (const [name, app] of [['a', a], ['c', c]] as const) {
          const userName = `load-${name}-${i}-${randomUUID().slice(0, 8)}@contoso.com`;
          const sentAt = Date.now();
          answers.push(send(app, 'POST', '/Users', entraUser(userName)).then((r) => ({ ...r, userName, sentAt, via: name })));
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const killedAt = Date.now();
    await cluster.kill(2);
    // Down long enough for the others to evict it (Galera's suspect timeout, 5 s): a node that comes
    // back before that makes the cluster reconfigure twice, and every node stalls its commits meanwhile.
    await cluster.waitClusterSize(1, 2, 30_000);
    const evictedAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const restartingAt = Date.now();
    await cluster.restart(2);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    stop = true;
    await load;
    const settled = await Promise.all(answers);
    expect(unexpected(settled, (r) => r.status === 201 || (r.status === 503 && Number(r.retryAfter) > 0))).toEqual({});
    const created = settled.filter((r) => r.status === 201);
    console.log(`node 2 killed under load: ${created.length} × 201, ${settled.length - created.length} × 503 of ${settled.length} creates`);
    // C names two hosts: once the cluster has evicted node 2, C serves from node 3 (503s are allowed
    // while the cluster changes its view, when every node holds its commits, but C must not stop serving).
    const cWhileDown = settled.filter((r) => r.via === 'c' && r.sentAt > evictedAt && r.sentAt < restartingAt);
    expect(cWhileDown.length).toBeGreaterThan(0);
    expect(unexpected(cWhileDown, (r) => r.status === 201), 'creates through C while its first host was down').toEqual({});
    console.log(`node 2 evicted ${((evictedAt - killedAt) / 1000).toFixed(1)} s after the kill`);
    for (const rows of await onEveryNode('SELECT id FROM scim_users WHERE tenant_id = ? AND id IN (?)', [tenantId, created.map((r) => r.body.id)])) {
      expect(rows.length).toBe(created.length);
    }
  });

  it("Entra's provisioning cycle on both instances at once: every step answers as on one server, and every node agrees", async () => {
    /** Entra's requests of entra-facts.md §2 for `count` users and one group, on one instance; the unexpected answers. */
    const cycle = async (app: TestApp, tag: string, count: number) => {
      const wrong: string[] = [];
      const step = async (what: string, expected: number, method: string, path: string, body?: unknown) => {
        const r = await send(app, method, path, body);
        if (r.status !== expected) wrong.push(`${tag} ${what}: ${r.status} ${r.body.detail ?? ''}`);
        return r;
      };
      const patch = (Operations: unknown[]) => ({ schemas: [PATCH_OP], Operations });
      const filter = (attribute: string, value: string) => `?filter=${encodeURIComponent(`${attribute} eq "${value}"`)}`;
      await step('test connection', 200, 'GET', `/Users${filter('userName', randomUUID())}`);
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        const userName = `entra-${tag}-${i}-${randomUUID().slice(0, 6)}@contoso.com`;
        const match = await step('match', 200, 'GET', `/Users${filter('userName', userName)}`);
        if (match.body.totalResults !== 0) wrong.push(`${tag} match found ${match.body.totalResults}`);
        const created = await step('create', 201, 'POST', '/Users', entraUser(userName));
        const id = created.body.id as string;
        ids.push(id);
        await step('get', 200, 'GET', `/Users/${id}`);
        await step('patch emails', 200, 'PATCH', `/Users/${id}`, patch([
          { op: 'Replace', path: 'emails[type eq "work"].value', value: `moved-${userName}` },
          { op: 'Replace', path: 'name.familyName', value: 'Smith' },
        ]));
        await step('patch userName', 200, 'PATCH', `/Users/${id}`, patch([{ op: 'Replace', path: 'userName', value: `renamed-${userName}` }]));
        await step('add mobile', 200, 'PATCH', `/Users/${id}`, patch([{ op: 'Add', path: 'phoneNumbers[type eq "mobile"].value', value: '+1 425-555-0199' }]));
        await step('path-less', 200, 'PATCH', `/Users/${id}`, patch([{ op: 'replace', value: { displayName: 'Jane Smith', 'name.givenName': 'Jane' } }]));
        await step('disable', 200, 'PATCH', `/Users/${id}`, patch([{ op: 'Replace', path: 'active', value: 'False' }]));
        await step('enable', 200, 'PATCH', `/Users/${id}`, patch([{ op: 'replace', path: 'active', value: true }]));
      }
      const displayName = `Entra ${tag} ${randomUUID().slice(0, 6)}`;
      const group = await step('group create', 201, 'POST', '/Groups', { schemas: [GROUP], externalId: randomUUID(), displayName, meta: { resourceType: 'Group' } });
      const gid = group.body.id as string;
      await step('group query', 200, 'GET', `/Groups${filter('displayName', displayName)}&excludedAttributes=members`);
      await step('add members', 204, 'PATCH', `/Groups/${gid}`, patch([{ op: 'Add', path: 'members', value: ids.map((value) => ({ $ref: null, value })) }]));
      await step('remove member', 204, 'PATCH', `/Groups/${gid}`, patch([{ op: 'Remove', path: 'members', value: [{ value: ids[0] }] }]));
      await step('remove by filter', 204, 'PATCH', `/Groups/${gid}`, patch([{ op: 'remove', path: `members[value eq "${ids[1]}"]` }]));
      await step('rename', 204, 'PATCH', `/Groups/${gid}`, patch([{ op: 'Replace', path: 'displayName', value: `${displayName} EMEA` }]));
      const members = await step('group get', 200, 'GET', `/Groups/${gid}`);
      if ((members.body.members ?? []).length !== count - 2) wrong.push(`${tag} group has ${(members.body.members ?? []).length} members`);
      await step('user delete', 204, 'DELETE', `/Users/${ids[2]}`);
      await step('deleted user', 404, 'GET', `/Users/${ids[2]}`);
      await step('group delete', 204, 'DELETE', `/Groups/${gid}`);
      return { wrong, kept: ids.filter((_, i) => i !== 2) };
    };
    const [onA, onB] = await Promise.all([cycle(a, 'a', 10), cycle(b, 'b', 10)]);
    expect([...onA.wrong, ...onB.wrong]).toEqual([]);
    const kept = [...onA.kept, ...onB.kept];
    for (const rows of await onEveryNode("SELECT id, user_name, active FROM scim_users WHERE tenant_id = ? AND user_name LIKE 'renamed-entra-%'", [tenantId])) {
      expect(rows.map((r) => r.id).sort()).toEqual([...kept].sort());
      expect(rows.every((r) => Number(r.active) === 1)).toBe(true);
    }
  });
});
