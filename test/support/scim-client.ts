import request from 'supertest';

export const SCIM_JSON = 'application/scim+json';
export const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
export const PATCH_OP = 'urn:ietf:params:scim:api:messages:2.0:PatchOp';

/** A SCIM client bound to one base URL and bearer token, sending bodies as Entra does. */
export function scimClient(scimUrl: string, token: string) {
  const auth = { Authorization: `Bearer ${token}` };
  return {
    get: (path: string) => request(scimUrl).get(path).set(auth),
    delete: (path: string) => request(scimUrl).delete(path).set(auth),
    post: (path: string, body: unknown) => request(scimUrl).post(path).set(auth).set('Content-Type', SCIM_JSON).send(JSON.stringify(body)),
    put: (path: string, body: unknown) => request(scimUrl).put(path).set(auth).set('Content-Type', SCIM_JSON).send(JSON.stringify(body)),
    patch: (path: string, operations: unknown[]) =>
      request(scimUrl)
        .patch(path)
        .set(auth)
        .set('Content-Type', SCIM_JSON)
        .send(JSON.stringify({ schemas: [PATCH_OP], Operations: operations })),
    /** `GET /Users?filter=…` with the filter URL-encoded. */
    filter: (resource: string, filter: string) => request(scimUrl).get(`/${resource}?filter=${encodeURIComponent(filter)}`).set(auth),
  };
}
export type ScimClient = ReturnType<typeof scimClient>;

/** The user body Entra sends on create (entra-facts.md §2.3). */
export function entraUser(userName: string, overrides: Record<string, unknown> = {}) {
  return {
    schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', ENTERPRISE],
    externalId: `ext-${userName}`,
    userName,
    active: true,
    emails: [{ primary: true, type: 'work', value: userName }],
    meta: { resourceType: 'User' },
    name: { formatted: 'Jane Doe', familyName: 'Doe', givenName: 'Jane' },
    phoneNumbers: [{ type: 'mobile', value: '+1 425-555-0100' }],
    locale: 'en-US',
    roles: [],
    ...overrides,
  };
}
