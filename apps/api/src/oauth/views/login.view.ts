import { html, layout } from './layout.js';

export interface LoginView {
  /** PUBLIC_URL's path ('' at the root): the form posts where the browser sees the page. */
  basePath: string;
  uid: string;
  csrf: string;
  clientName: string;
  tenantName: string;
  email?: string;
  error?: string;
}

export function loginPage(v: LoginView): string {
  const invalid = v.error ? 'true' : 'false';
  const describedBy = v.error ? 'form-error' : undefined;
  return layout(
    v.error ? `Error: Sign in to ${v.tenantName}` : `Sign in to ${v.tenantName}`,
    html`<h1>Sign in to authorize ${v.clientName}</h1>
<p class="lead">${v.clientName} is asking for access to <strong>${v.tenantName}</strong>. Sign in with your ${v.tenantName} administrator account.</p>
${v.error ? html`<div class="alert" id="form-error" role="alert" tabindex="-1">${v.error}</div>` : ''}
<form method="post" action="${v.basePath}/interaction/${v.uid}/login" novalidate>
<input type="hidden" name="csrf" value="${v.csrf}">
<div class="field">
<label for="email">Email address</label>
<input id="email" name="email" type="email" autocomplete="username" spellcheck="false" required value="${v.email ?? ''}" aria-invalid="${invalid}"${describedBy ? html` aria-describedby="${describedBy}"` : ''}${v.email ? '' : html` autofocus`}>
</div>
<div class="field">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required aria-invalid="${invalid}"${describedBy ? html` aria-describedby="${describedBy}"` : ''}${v.email ? html` autofocus` : ''}>
</div>
<div class="actions">
<button class="primary" type="submit">Sign in</button>
</div>
</form>`,
  );
}
