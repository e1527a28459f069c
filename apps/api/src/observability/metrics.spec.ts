import { scimOperation } from './metrics.js';
import { requestId } from './http-instrumentation.js';
import type { IncomingMessage } from 'node:http';

describe('scimOperation', () => {
  it('names the operation of each SCIM route pattern per resource type', () => {
    expect(scimOperation('GET', '/scim/v2/Users')).toEqual({ resource: 'Users', operation: 'list' });
    expect(scimOperation('GET', '/scim/v2/Users/:id')).toEqual({ resource: 'Users', operation: 'get' });
    expect(scimOperation('POST', '/scim/v2/Groups')).toEqual({ resource: 'Groups', operation: 'create' });
    expect(scimOperation('PUT', '/scim/v2/Groups/:id')).toEqual({ resource: 'Groups', operation: 'replace' });
    expect(scimOperation('PATCH', '/scim/v2/Users/:id')).toEqual({ resource: 'Users', operation: 'patch' });
    expect(scimOperation('DELETE', '/scim/v2/Users/:id')).toEqual({ resource: 'Users', operation: 'delete' });
  });

  it('is none for discovery, other doors and methods a resource does not have', () => {
    expect(scimOperation('GET', '/scim/v2/Schemas')).toBeUndefined();
    expect(scimOperation('GET', '/admin/v1/tenants/:tenantId/users')).toBeUndefined();
    expect(scimOperation('POST', '/scim/v2/Users/:id')).toBeUndefined();
    expect(scimOperation('DELETE', '/scim/v2/Users')).toBeUndefined();
  });
});

describe('requestId', () => {
  const req = (value?: string) => ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as IncomingMessage;
  const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  it("keeps the caller's id when it looks like one", () => {
    expect(requestId(req('0f8fad5b-d9cb-469f-a165-70867728950e'))).toBe('0f8fad5b-d9cb-469f-a165-70867728950e');
    expect(requestId(req('entra:abc/1+2=3@x_y.z-w'))).toBe('entra:abc/1+2=3@x_y.z-w');
  });

  it('makes a new one when there is none, or it is too long, empty or holds other characters', () => {
    for (const value of [undefined, '', 'x'.repeat(129), 'a b', 'a"b', '<script>', 'line\nbreak']) expect(requestId(req(value))).toMatch(uuid);
  });
});
