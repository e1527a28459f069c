import request from 'supertest';
import { SupportAccountService, type AccountRole } from '@app/identity';
import type { TestApp } from './test-app.js';
import { authorizeAsAdmin, ENTRA_REDIRECT, tokenRequest } from './oauth.js';

let counter = 0;

/** A new support account of the role, and its first personal access token. */
export async function supportAccount(t: TestApp, role: AccountRole): Promise<{ id: string; email: string; token: string }> {
  const email = `${role}-${process.pid}-${counter++}@atea.test`;
  const { account, token } = await t.app.get(SupportAccountService).create(email, role);
  return { id: account.id, email, token: token.token };
}

/** An HTTP client of the admin API with the given bearer token (none when undefined). */
export function adminClient(baseUrl: string, token?: string) {
  const auth = (r: request.Test) => (token === undefined ? r : r.set('Authorization', `Bearer ${token}`));
  const base = `${baseUrl}/admin/v1`;
  return {
    get: (path: string) => auth(request(base).get(path)),
    post: (path: string, body?: unknown) => auth(request(base).post(path)).send(body as object),
    patch: (path: string, body?: unknown) => auth(request(base).patch(path)).send(body as object),
    delete: (path: string) => auth(request(base).delete(path)),
    request: (method: string, path: string, body?: unknown) => {
      const r = auth(request(base)[method.toLowerCase() as 'get'](path));
      return body === undefined ? r : r.send(body as object);
    },
  };
}
export type AdminClient = ReturnType<typeof adminClient>;

/** Entra's Authorize by a tenant admin, and the tokens it gets: a tenant admin's OAuth credentials. */
export async function authorizedTokens(t: TestApp, tenantId: string) {
  const admin = await t.admin(tenantId);
  const client = await t.client(tenantId);
  const { redirect } = await authorizeAsAdmin(t, { clientId: client.clientId }, admin);
  const token = await tokenRequest(
    t,
    { grant_type: 'authorization_code', code: redirect.searchParams.get('code')!, redirect_uri: ENTRA_REDIRECT },
    { ...client, method: 'basic' },
  );
  if (token.status !== 200) throw new Error(`token exchange answered ${token.status}: ${JSON.stringify(token.body)}`);
  return { admin, client, accessToken: token.body.access_token as string, refreshToken: token.body.refresh_token as string };
}
