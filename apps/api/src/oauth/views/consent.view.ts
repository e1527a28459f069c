import { html, layout } from './layout.js';

export interface ConsentView {
  /** PUBLIC_URL's path ('' at the root): the form posts where the browser sees the page. */
  basePath: string;
  uid: string;
  csrf: string;
  clientName: string;
  tenantName: string;
  email: string;
}

export function consentPage(v: ConsentView): string {
  return layout(
    `Allow access to ${v.tenantName}`,
    html`<h1>Allow access to ${v.tenantName}?</h1>
<p class="lead"><strong>${v.clientName}</strong> wants to manage users of <strong>${v.tenantName}</strong>.</p>
<p>If you allow it, ${v.clientName} can:</p>
<ul class="scopes">
<li>read, create, update, deactivate and delete the users and groups of ${v.tenantName} in Atea;</li>
<li>keep this access without asking you again, until it is revoked or your account is disabled.</li>
</ul>
<form method="post" action="${v.basePath}/interaction/${v.uid}/consent">
<input type="hidden" name="csrf" value="${v.csrf}">
<div class="actions">
<button class="primary" type="submit" name="decision" value="allow">Allow</button>
<button class="secondary" type="submit" name="decision" value="deny">Deny</button>
</div>
</form>
<p class="who">Signed in as <strong>${v.email}</strong>, administrator of ${v.tenantName}.</p>`,
  );
}
