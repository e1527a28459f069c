import { AccountEntity } from './accounts/account.entity.js';
import { LoginThrottleEntity } from './accounts/login-throttle.entity.js';
import { OAuthClientEntity, OAuthClientSecretEntity } from './oauth-clients/oauth-client.entity.js';
import { OidcPayloadEntity } from './oidc/oidc-payload.entity.js';
import { ScimTokenEntity } from './scim-tokens/scim-token.entity.js';
import { SupportTokenEntity } from './support/support-token.entity.js';

export const IDENTITY_ENTITIES = [
  ScimTokenEntity,
  AccountEntity,
  LoginThrottleEntity,
  OAuthClientEntity,
  OAuthClientSecretEntity,
  OidcPayloadEntity,
  SupportTokenEntity,
];

export { ScimTokenEntity } from './scim-tokens/scim-token.entity.js';
export { ScimTokenService, hashToken, type IssuedScimToken, type ScimTokenPrincipal, type ScimTokenRefusal } from './scim-tokens/scim-token.service.js';
export { IdentityError } from './identity.error.js';
export { AccountEntity, SUPPORT_REALM, type AccountRole } from './accounts/account.entity.js';
export { LoginThrottleEntity } from './accounts/login-throttle.entity.js';
export { AccountService, MIN_PASSWORD_LENGTH, PASSWORD_CHECK_RETRY_AFTER_SECONDS, type SignInResult } from './accounts/account.service.js';
export { hashPassword, verifyPassword } from './accounts/password-hasher.js';
export {
  KEY_MATERIAL,
  generateKeyMaterialEnv,
  parseKeyMaterial,
  resolveKeyMaterial,
  type KeyMaterial,
  type KeyMaterialEnv,
  type PrivateJwk,
} from './keys/key-material.js';
export { SecretBox } from './keys/secret-box.js';
export { CursorSeal } from './keys/cursor-seal.js';
export { OAuthClientEntity, OAuthClientSecretEntity } from './oauth-clients/oauth-client.entity.js';
export {
  OAuthClientService,
  ENTRA_REDIRECT_URI,
  DEFAULT_CLIENT_NAME,
  DEFAULT_SECRET_DAYS,
  validateRedirectUri,
  type ClientSummary,
  type IssuedClientSecret,
  type ProviderClientMetadata,
} from './oauth-clients/oauth-client.service.js';
export { OidcPayloadEntity } from './oidc/oidc-payload.entity.js';
export { OidcPayloadStore, storedOidcId, type OidcPayload } from './oidc/oidc-payload.store.js';
export { createOidcAdapter, type OidcAdapter, type OidcAdapterOptions } from './oidc/oidc-adapter.js';
export type { InTransaction } from './transaction-hook.js';
export { SupportTokenEntity } from './support/support-token.entity.js';
export {
  SupportTokenService,
  SUPPORT_TOKEN_PREFIX,
  DEFAULT_SUPPORT_TOKEN_DAYS,
  MAX_SUPPORT_TOKEN_DAYS,
  type IssuedSupportToken,
  type SupportPrincipal,
} from './support/support-token.service.js';
export { SupportAccountService, SUPPORT_ROLES } from './support/support-account.service.js';
export { TenantAdminService } from './support/tenant-admin.service.js';
export { OAuthGrantService, type GrantSummary } from './support/oauth-grant.service.js';
export { IdentityModule } from './identity.module.js';
