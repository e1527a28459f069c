import { html, layout } from './layout.js';

export function errorPage(title: string, message: string, code?: string): string {
  return layout(
    title,
    html`<h1>${title}</h1>
<div class="alert" role="alert">${message}</div>
<p>Return to Microsoft Entra (or the application that sent you here) and start again with <strong>Authorize</strong>.</p>
${code ? html`<p class="who">Error code: <code>${code}</code></p>` : ''}`,
  );
}

const REFUSED_FORMS: Record<number, string> = {
  413: 'What was sent is too large.',
  415: 'What was sent is not a web form.',
};

/** The page of a sign-in or consent form whose body could not be read (too deep or malformed, too large, of another type). */
export function refusedFormPage(status: number): string {
  return errorPage('This form could not be read', `${REFUSED_FORMS[status] ?? 'What was sent is malformed.'} Go back to the form and send it again.`);
}

/** The page shown while the database cannot serve or too many sign-ins are being checked: the same request works again shortly. */
export function unavailablePage(): string {
  return layout(
    'Try again in a moment',
    html`<h1>Try again in a moment</h1>
<div class="alert" role="alert">Atea cannot complete this step right now. Your sign-in request is still valid: try again in a moment.</div>
<p>Reload this page, or go back and send the form again, in a few seconds.</p>`,
  );
}

const OAUTH_MESSAGES: Record<string, string> = {
  invalid_client: 'The application that sent you here is not registered with Atea, or its registration was removed.',
  invalid_redirect_uri: 'The application asked to return to an address that is not registered for it.',
  invalid_request: 'The sign-in request is incomplete or malformed.',
  invalid_target: 'The application asked for access to something Atea does not offer.',
  unsupported_response_type: 'The application asked for a kind of answer Atea does not give.',
  invalid_scope: 'The application asked for permissions Atea does not know.',
  session_not_found: 'This sign-in request has expired or was already completed.',
  temporarily_unavailable: 'Atea cannot complete this step right now. Try again in a moment.',
};

/** The page oidc-provider shows when it cannot send an error back to the client. */
export function oauthErrorPage(error: string): string {
  const code = /^[a-z_]{1,64}$/.test(error) ? error : 'server_error';
  return errorPage(
    code === 'server_error' ? 'Something went wrong' : code === 'temporarily_unavailable' ? 'Try again in a moment' : 'This request cannot be completed',
    OAUTH_MESSAGES[code] ?? 'The authorization request could not be processed.',
    code,
  );
}
