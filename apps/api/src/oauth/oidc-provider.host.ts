import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable, Logger } from '@nestjs/common';
import Provider, { errors, interactionPolicy, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { AppConfig } from '@app/config';
import { isDatabaseUnavailable, UNAVAILABLE_RETRY_AFTER_SECONDS } from '@app/database';
import { TenantService } from '@app/directory';
import {
  AccountService,
  createOidcAdapter,
  KEY_MATERIAL,
  OAuthClientService,
  OidcPayloadStore,
  type KeyMaterial,
  type OidcAdapter,
} from '@app/identity';
import { describeUnexpectedError } from '../unexpected-error.js';
import { oauthErrorPage } from './views/error.view.js';
import { PAGE_CSP } from './views/layout.js';

/** Where the authorization server is mounted: the path of the OAuth issuer. */
export const OAUTH_MOUNT = '/oauth';

/** The scope of the SCIM API, defaulted when a client (Entra) sends none. */
export const SCIM_SCOPE = 'scim';

const DAY = 86_400;

/** The tenant an oidc-provider client belongs to (our `tenant_id` client metadata). */
export function clientTenantId(client: unknown): string | undefined {
  const c = client as { tenant_id?: unknown; tenantId?: unknown; metadata?: () => Record<string, unknown> } | undefined;
  const value = c?.tenant_id ?? c?.tenantId ?? c?.metadata?.().tenant_id;
  return typeof value === 'string' ? value : undefined;
}

/** The account behind a session or grant, as findAccount returns it. */
export interface OidcAccount {
  accountId: string;
  tenantId: string | null;
  email: string;
  claims(): { sub: string };
}

/**
 * Owns the oidc-provider instance (OAuth 2.0 authorization server under `/oauth`). It is built on
 * first use, so that the issuer follows PUBLIC_URL as configured when the first request arrives.
 */
@Injectable()
export class OidcProviderHost {
  private readonly logger = new Logger('OAuth');
  private instance?: Provider;
  private handler?: (req: IncomingMessage, res: ServerResponse) => void;

  constructor(
    private readonly config: AppConfig,
    @Inject(KEY_MATERIAL) private readonly keys: KeyMaterial,
    private readonly clients: OAuthClientService,
    private readonly accounts: AccountService,
    private readonly store: OidcPayloadStore,
    private readonly tenants: TenantService,
  ) {}

  get provider(): Provider {
    this.instance ??= this.build();
    return this.instance;
  }

  /** The Node request handler of the provider, to mount under `/oauth`. */
  handle(req: IncomingMessage, res: ServerResponse): void {
    this.handler ??= this.provider.callback() as (req: IncomingMessage, res: ServerResponse) => void;
    this.handler(req, res);
  }

  private build(): Provider {
    const config = this.config;
    const scimResource = config.scimResource;
    const accessTokenTTL = config.ACCESS_TOKEN_TTL_SECONDS;
    const refreshTokenTTL = config.REFRESH_TOKEN_TTL_DAYS * DAY;

    const policy = interactionPolicy.base();
    // A session of an account that may not authorize this client (another tenant's admin, disabled
    // since) does not count: the login form is shown again.
    policy.get('login')!.checks.add(
      new interactionPolicy.Check('account_not_allowed', 'the signed-in account cannot authorize this client', (ctx) =>
        ctx.oidc.session?.accountId && !ctx.oidc.account ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT,
      ),
    );

    // Every URL the server emits is built on PUBLIC_URL, never on the Host (or forwarded) header of the
    // request: a forged Host cannot redirect a client, or its secret, elsewhere.
    const publicUrl = new URL(config.publicUrl);
    const publicOrigin = { protocol: publicUrl.protocol.slice(0, -1), host: publicUrl.host, hostname: publicUrl.hostname };
    const secureCookies = publicUrl.protocol === 'https:';

    const configuration: Configuration = {
      adapter: answeringOutages(
        createOidcAdapter({
          store: this.store,
          clients: this.clients,
          presentedClientSecret,
          refreshTokenGraceSeconds: config.REFRESH_TOKEN_GRACE_SECONDS,
        }),
      ) as unknown as Configuration['adapter'],
      clients: [],
      jwks: this.keys.jwks as unknown as Configuration['jwks'],
      cookies: {
        keys: this.keys.cookieKeys,
        long: { httpOnly: true, sameSite: 'lax', secure: secureCookies },
        short: { httpOnly: true, sameSite: 'lax', secure: secureCookies },
      },
      responseTypes: ['code'],
      // Our clients are confidential and send their secret in the Authorization header or the form.
      clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
      scopes: [SCIM_SCOPE],
      extraClientMetadata: { properties: ['tenant_id'] },
      clientBasedCORS: () => false,
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        // A client revokes only its own tokens.
        revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
        introspection: { enabled: false },
        userinfo: { enabled: false },
        rpInitiatedLogout: { enabled: false },
        pushedAuthorizationRequests: { enabled: false },
        dPoP: { enabled: false },
        resourceIndicators: {
          enabled: true,
          // Entra sends no `resource`: every token is for the SCIM API.
          defaultResource: (_ctx, _client, oneOf) => (oneOf ? (oneOf.includes(scimResource) ? scimResource : oneOf) : scimResource),
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, indicator) => {
            if (indicator.replace(/\/+$/, '') !== scimResource) throw new errors.InvalidTarget('the only resource is the SCIM API');
            return { scope: SCIM_SCOPE, audience: scimResource, accessTokenTTL, accessTokenFormat: 'opaque' };
          },
        },
      },
      // PKCE is required of public clients only (we have none); a code_challenge that is sent is verified.
      pkce: { required: (_ctx, client) => client.clientAuthMethod === 'none' },
      // Asked for every code exchange and refresh: a disabled admin, or an admin of a suspended
      // tenant, has no account any more, so the grant gives no tokens (invalid_grant).
      findAccount: async (ctx, sub) => {
        const tenantId = clientTenantId(ctx.oidc?.client);
        const [account, tenant] = await outageAsOAuthError(() =>
          Promise.all([this.accounts.findEnabled(sub), tenantId ? this.tenants.findById(tenantId) : null]),
        );
        if (!account || (tenantId && (account.tenantId !== tenantId || tenant?.status !== 'active'))) return undefined;
        return { accountId: account.id, tenantId: account.tenantId, email: account.email, claims: () => ({ sub: account.id }) } satisfies OidcAccount;
      },
      extraTokenClaims: async (ctx, token) => {
        const tenantId = clientTenantId(ctx.oidc.client);
        // Client credentials involve no account: the tenant's status is checked here instead.
        if (tenantId && token.kind === 'ClientCredentials') {
          const tenant = await outageAsOAuthError(() => this.tenants.findById(tenantId));
          if (tenant?.status !== 'active') throw new errors.UnauthorizedClient('the tenant is suspended');
        }
        return tenantId ? { tenant_id: tenantId } : undefined;
      },
      // Refresh tokens for the code grant without `offline_access` (Entra does not ask for it).
      issueRefreshToken: (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.kind === 'AuthorizationCode',
      // Every refresh returns a new refresh token with a full lifetime (sliding); the previous one
      // keeps working for REFRESH_TOKEN_GRACE_SECONDS (see the adapter).
      rotateRefreshToken: () => true,
      expiresWithSession: () => false,
      // Each Authorize asks for consent again: no grant is taken over from an earlier session.
      loadExistingGrant: async (ctx) => {
        const grantId = ctx.oidc.result?.consent?.grantId;
        return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
      },
      interactions: {
        url: (_ctx, interaction) => `${config.publicUrl}/interaction/${interaction.uid}`,
        policy,
      },
      ttl: {
        AccessToken: accessTokenTTL,
        ClientCredentials: accessTokenTTL,
        AuthorizationCode: 120,
        IdToken: 3600,
        Interaction: 3600,
        Session: 8 * 3600,
        Grant: refreshTokenTTL,
        RefreshToken: refreshTokenTTL,
      },
      renderError: (ctx, out) => {
        ctx.type = 'html';
        ctx.set('Cache-Control', 'no-store');
        // The page's own policy (its stylesheet), in place of the API's.
        ctx.set('Content-Security-Policy', PAGE_CSP);
        ctx.body = oauthErrorPage(String(out.error ?? 'server_error'));
      },
    };

    const provider = new Provider(config.oauthIssuer, configuration);
    provider.proxy = config.trustProxy !== false;

    provider.use(async (ctx, next) => {
      // The request is treated as if it came to PUBLIC_URL (scheme and host), whatever its Host,
      // X-Forwarded-Host or X-Forwarded-Proto say: discovery, redirects, resume URLs and cookies follow.
      for (const [name, value] of Object.entries(publicOrigin)) Object.defineProperty(ctx.request, name, { value, configurable: true });
      // Entra sends no scope; without one there is nothing to consent to and the flow ends in access_denied.
      // The SCIM scope is the only one served: `openid` and the rest are dropped, so no ID token is issued.
      if (ctx.path === '/auth' && ctx.method === 'GET' && ctx.query.scope !== SCIM_SCOPE) ctx.query = { ...ctx.query, scope: SCIM_SCOPE };
      await next();
      if (ctx.status === 503) ctx.set('Retry-After', String(UNAVAILABLE_RETRY_AFTER_SECONDS));
      if (ctx.oidc?.route === 'discovery' && ctx.body && typeof ctx.body === 'object') advertiseOnlyWhatIsServed(ctx.body as Record<string, unknown>);
    });

    // The URLs the provider builds for itself (discovery, resume, the resume cookie's path) are
    // PUBLIC_URL's, its path included: its own URL building takes the request's origin and guesses the
    // mount from the request path, which knows nothing of a path a proxy in front strips.
    const contextClass = (provider as unknown as { OIDCContext: { prototype: { urlFor(name: string, opt?: object): string } } }).OIDCContext;
    contextClass.prototype.urlFor = (name, opt) => `${config.publicUrl}${provider.pathFor(name, { mountPath: OAUTH_MOUNT, ...opt })}`;

    this.logEvents(provider);
    return provider;
  }

  /** Logs outcomes and failures; never parameters, tokens, codes or secrets. */
  private logEvents(provider: Provider): void {
    const client = (ctx: KoaContextWithOIDC) => ctx.oidc?.client?.clientId ?? '-';
    const describe = (error: { error?: string; error_description?: string; message?: string }) =>
      `${error.error ?? 'error'}${error.error_description ? ` (${error.error_description})` : ''}`;
    provider.on('server_error', (ctx: KoaContextWithOIDC, error: Error) =>
      this.logger.error(`OAuth request ${ctx.method} ${ctx.path} failed: ${describeUnexpectedError(error)}`),
    );
    provider.on('grant.success', (ctx: KoaContextWithOIDC) =>
      this.logger.log(`token issued: grant_type=${String(ctx.oidc.params?.grant_type)} client=${client(ctx)}`),
    );
    provider.on('grant.error', (ctx: KoaContextWithOIDC, error) =>
      // A request whose connection closed before its body arrived refuses itself: anyone can cause it, so it is no warning.
      !ctx.req.complete
        ? this.logger.debug(`token request aborted before its whole body arrived`)
        : this.logger.warn(`token request refused: ${describe(error)} grant_type=${String(ctx.oidc?.params?.grant_type ?? '-')} client=${client(ctx)}`),
    );
    provider.on('grant.revoked', (ctx: KoaContextWithOIDC) => this.logger.log(`authorization revoked: client=${client(ctx)}`));
    provider.on('authorization.error', (ctx: KoaContextWithOIDC, error) =>
      this.logger.warn(`authorization refused: ${describe(error)} client=${client(ctx)}`),
    );
    provider.on('revocation.error', (ctx: KoaContextWithOIDC, error) =>
      this.logger.warn(`revocation refused: ${describe(error)} client=${client(ctx)}`),
    );
  }
}

/**
 * A database outage as the OAuth protocol says it: `temporarily_unavailable` with 503 (the provider
 * middleware adds Retry-After), instead of oidc-provider's 500 `server_error`. The driver's error
 * stays the cause, so the login pages recognise the outage too.
 */
class TemporarilyUnavailable extends errors.OIDCProviderError {
  constructor(cause: unknown) {
    super(503, 'temporarily_unavailable');
    Object.assign(this, { cause, expose: true, error_description: 'The service is briefly unavailable; try again in a moment' });
  }
}

async function outageAsOAuthError<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw isDatabaseUnavailable(error) ? new TemporarilyUnavailable(error) : error;
  }
}

/** The storage adapter, with every database outage turned into `temporarily_unavailable`. */
function answeringOutages(Adapter: new (model: string) => OidcAdapter): new (model: string) => OidcAdapter {
  return class implements OidcAdapter {
    private readonly inner: OidcAdapter;

    constructor(model: string) {
      this.inner = new Adapter(model);
    }

    upsert(...args: Parameters<OidcAdapter['upsert']>) {
      return outageAsOAuthError(() => this.inner.upsert(...args));
    }
    find(id: string) {
      return outageAsOAuthError(() => this.inner.find(id));
    }
    findByUserCode(userCode: string) {
      return outageAsOAuthError(() => this.inner.findByUserCode(userCode));
    }
    findByUid(uid: string) {
      return outageAsOAuthError(() => this.inner.findByUid(uid));
    }
    consume(id: string) {
      return outageAsOAuthError(() => this.inner.consume(id));
    }
    destroy(id: string) {
      return outageAsOAuthError(() => this.inner.destroy(id));
    }
    revokeByGrantId(grantId: string) {
      return outageAsOAuthError(() => this.inner.revokeByGrantId(grantId));
    }
  };
}

/**
 * The discovery document names what the server serves and nothing more: the code flow with the
 * answer in the query, the SCIM scope, confidential clients. oidc-provider always lists the OpenID
 * Connect parts (id tokens, claims, `openid`), which no client of ours uses.
 */
function advertiseOnlyWhatIsServed(body: Record<string, unknown>): void {
  body.response_modes_supported = ['query'];
  body.scopes_supported = [SCIM_SCOPE];
  for (const key of ['claims_supported', 'claims_parameter_supported', 'subject_types_supported', 'id_token_signing_alg_values_supported']) {
    delete body[key];
  }
}

/**
 * The client secret sent with the current token, revocation or introspection request (form field
 * or HTTP Basic), so that the client adapter can pick the matching one of the client's secrets.
 */
function presentedClientSecret(): string | undefined {
  const ctx = Provider.ctx;
  if (!ctx) return undefined;
  const posted = (ctx.oidc?.params as { client_secret?: unknown } | undefined)?.client_secret;
  if (typeof posted === 'string' && posted) return posted;
  const header = ctx.headers.authorization;
  const match = typeof header === 'string' ? /^basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header) : null;
  if (!match) return undefined;
  const basic = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = basic.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return decodeURIComponent(basic.slice(colon + 1).replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}
