import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { DatabaseUnavailableError, describeFailure, isDatabaseUnavailable, UNAVAILABLE_RETRY_AFTER_SECONDS } from '@app/database';
import { TenantService } from '@app/directory';
import { AccountService, KEY_MATERIAL, OAuthClientService, OAuthGrantService, PASSWORD_CHECK_RETRY_AFTER_SECONDS, type KeyMaterial, type SignInResult } from '@app/identity';
import { Csrf } from './csrf.js';
import type { Exchange } from './exchange.js';
import { OidcProviderHost } from './oidc-provider.host.js';
import { consentPage } from './views/consent.view.js';
import { errorPage, unavailablePage } from './views/error.view.js';
import { loginPage } from './views/login.view.js';
import { sendPage } from './views/send-page.js';

type Details = Awaited<ReturnType<OidcProviderHost['provider']['interactionDetails']>>;

interface Context {
  details: Details;
  clientName: string;
  tenantId: string;
  tenantName: string;
}

const field = (body: unknown, name: string): string | undefined => {
  const value = (body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : undefined;
};

/** The login and consent pages of the Authorize dialog (`/interaction/:uid`). */
@Injectable()
export class InteractionService {
  private readonly logger = new Logger('Interaction');
  private readonly csrf: Csrf;

  constructor(
    private readonly host: OidcProviderHost,
    private readonly accounts: AccountService,
    private readonly clients: OAuthClientService,
    private readonly grants: OAuthGrantService,
    private readonly tenants: TenantService,
    private readonly config: AppConfig,
    @Inject(KEY_MATERIAL) keys: KeyMaterial,
  ) {
    this.csrf = new Csrf(keys.cookieKeys[0], config.publicUrl.startsWith('https:'), `${config.publicPath}/interaction`);
  }

  show(uid: string, http: Exchange): Promise<void> {
    return this.answering(http, () => this.showPage(uid, http));
  }

  login(uid: string, http: Exchange): Promise<void> {
    if (this.accounts.passwordChecksFull) return Promise.resolve(this.tryAgainLater(http, PASSWORD_CHECK_RETRY_AFTER_SECONDS));
    return this.answering(http, () => this.signIn(uid, http));
  }

  consent(uid: string, http: Exchange): Promise<void> {
    return this.answering(http, () => this.decide(uid, http));
  }

  /**
   * Runs a page's work; while the database cannot serve, the browser is told to try again in a
   * moment (503 with Retry-After) instead of being told that its request expired.
   */
  private async answering(http: Exchange, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } catch (error) {
      if (!isDatabaseUnavailable(error) || http.res.headersSent) throw error;
      this.logger.warn(`interaction page unavailable: ${describeFailure(error)}`);
      this.tryAgainLater(http, error instanceof DatabaseUnavailableError ? error.retryAfterSeconds : UNAVAILABLE_RETRY_AFTER_SECONDS);
    }
  }

  /** 503 with Retry-After and a page saying to try again in a moment (the request stays valid). */
  private tryAgainLater(http: Exchange, retryAfterSeconds: number): void {
    http.res.setHeader('Retry-After', String(retryAfterSeconds));
    this.send(http, 503, unavailablePage());
  }

  private async showPage(uid: string, http: Exchange): Promise<void> {
    const context = await this.load(uid, http);
    if (!context) return;
    const { details } = context;
    if (details.prompt.name === 'login') return this.renderLogin(http, context);
    if (details.prompt.name === 'consent') return this.renderConsent(http, context);
    this.send(http, 400, errorPage('This request cannot be completed', 'Atea cannot handle what the application asked for.', details.prompt.name));
  }

  private async signIn(uid: string, http: Exchange): Promise<void> {
    const context = await this.load(uid, http);
    if (!context) return;
    if (context.details.prompt.name !== 'login') return this.redirectToPage(http, uid);
    const email = (field(http.body, 'email') ?? '').trim().slice(0, 320);
    const password = field(http.body, 'password') ?? '';
    if (!this.csrf.verify(http.req, uid, field(http.body, 'csrf'))) {
      return this.renderLogin(http, context, 403, 'This form expired or was sent from elsewhere. Please sign in again.', email);
    }
    if (!email || !password) return this.renderLogin(http, context, 400, 'Enter your email address and your password.', email);

    const result = await this.accounts.signIn(context.tenantId, email, password, http.ip);
    if (!result.ok) {
      this.logger.log(`sign-in refused (${result.reason}) for tenant ${context.tenantId}`);
      const { status, message } = this.signInError(result, context.tenantName);
      if (result.reason === 'busy') http.res.setHeader('Retry-After', String(result.retryAfterSeconds));
      if (result.reason === 'throttled') http.res.setHeader('Retry-After', String(Math.max(1, Math.ceil((result.until.getTime() - Date.now()) / 1000))));
      return this.renderLogin(http, context, status, message, email);
    }
    this.logger.log(`account ${result.account.id} signed in for tenant ${context.tenantId}`);
    await this.host.provider.interactionFinished(http.req, http.res, { login: { accountId: result.account.id } }, { mergeWithLastSubmission: false });
  }

  private async decide(uid: string, http: Exchange): Promise<void> {
    const context = await this.load(uid, http);
    if (!context) return;
    const { details } = context;
    if (details.prompt.name !== 'consent') return this.redirectToPage(http, uid);
    if (!this.csrf.verify(http.req, uid, field(http.body, 'csrf'))) {
      this.send(http, 403, errorPage('This form has expired', 'The confirmation was sent from elsewhere or is too old.'));
      return;
    }
    const provider = this.host.provider;
    const accountId = details.session?.accountId;
    if (field(http.body, 'decision') !== 'allow' || !accountId) {
      this.logger.log(`authorization declined for tenant ${context.tenantId}`);
      await provider.interactionFinished(
        http.req,
        http.res,
        { error: 'access_denied', error_description: 'The administrator declined the request' },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant = details.grantId
      ? ((await provider.Grant.find(details.grantId)) ?? new provider.Grant({ accountId, clientId: details.params.client_id as string }))
      : new provider.Grant({ accountId, clientId: details.params.client_id as string });
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(indicator, scopes.join(' '));
    const grantId = await grant.save();
    // Authorize again replaces the account's earlier grant to the client (and its tokens): one grant per admin and client.
    const replaced = await this.grants.replaceEarlier(String(details.params.client_id), accountId, grantId);
    this.logger.log(
      `account ${accountId} authorized client ${String(details.params.client_id)} for tenant ${context.tenantId}` +
        (replaced > 0 ? `, replacing ${replaced} earlier grant(s)` : ''),
    );
    await provider.interactionFinished(http.req, http.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
  }

  /** The interaction of this browser, its client and tenant; renders an error page and returns undefined when there is none. */
  private async load(uid: string, http: Exchange): Promise<Context | undefined> {
    let details: Details;
    try {
      details = await this.host.provider.interactionDetails(http.req, http.res);
    } catch (error) {
      if (isDatabaseUnavailable(error)) throw error;
      details = undefined as unknown as Details;
    }
    if (!details || details.uid !== uid) {
      this.send(
        http,
        400,
        errorPage('This sign-in request has expired', 'It was completed already, it is more than an hour old, or it was opened in another browser.'),
      );
      return undefined;
    }
    const client = await this.clients.findClient(String(details.params.client_id));
    const tenant = client ? await this.tenants.findById(client.tenantId) : null;
    if (!client || !tenant) {
      this.send(http, 400, errorPage('This request cannot be completed', 'The application that sent you here is no longer registered with Atea.'));
      return undefined;
    }
    if (tenant.status === 'suspended') {
      this.send(http, 403, errorPage('Access is suspended', `${tenant.name}'s access to Atea is suspended. Contact Atea support.`, 'tenant_suspended'));
      return undefined;
    }
    return { details, clientName: client.name, tenantId: tenant.id, tenantName: tenant.name };
  }

  private signInError(result: Exclude<SignInResult, { ok: true }>, tenantName: string): { status: number; message: string } {
    switch (result.reason) {
      case 'invalid':
        return { status: 401, message: `The email address or password is wrong, or the account is not an administrator of ${tenantName}.` };
      case 'disabled':
        return { status: 403, message: `This account is disabled. Ask another administrator of ${tenantName} or Atea support for help.` };
      case 'locked':
        return {
          status: 423,
          message: `This account is locked after too many wrong passwords. Try again in ${waitText(result.until)}, or ask Atea support to unlock it.`,
        };
      case 'throttled':
        return { status: 429, message: `Too many failed sign-ins from your network. Wait ${waitText(result.until)} and try again.` };
      case 'busy':
        return { status: 503, message: 'Atea is checking many sign-ins right now. Try again in a moment.' };
    }
  }

  private renderLogin(http: Exchange, c: Context, status = 200, error?: string, email?: string): void {
    const csrf = this.csrf.issue(http, c.details.uid);
    this.send(http, status, loginPage({ basePath: this.config.publicPath, uid: c.details.uid, csrf, clientName: c.clientName, tenantName: c.tenantName, email, error }));
  }

  private async renderConsent(http: Exchange, c: Context): Promise<void> {
    const account = c.details.session?.accountId ? await this.accounts.findEnabled(c.details.session.accountId) : null;
    if (!account) {
      this.send(http, 400, errorPage('This sign-in request has expired', 'Your sign-in is no longer valid.'));
      return;
    }
    const csrf = this.csrf.issue(http, c.details.uid);
    this.send(http, 200, consentPage({ basePath: this.config.publicPath, uid: c.details.uid, csrf, clientName: c.clientName, tenantName: c.tenantName, email: account.email }));
  }

  private redirectToPage({ res }: Exchange, uid: string): void {
    res.writeHead(303, { Location: `${this.config.publicUrl}/interaction/${encodeURIComponent(uid)}`, 'Cache-Control': 'no-store' }).end();
  }

  private send({ res }: Exchange, status: number, body: string): void {
    sendPage(res, status, body);
  }
}

function waitText(until: Date): string {
  const seconds = Math.max(1, Math.ceil((until.getTime() - Date.now()) / 1000));
  if (seconds < 90) return `${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  return `${minutes} minutes`;
}
