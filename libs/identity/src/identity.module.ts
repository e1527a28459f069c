import { Logger, Module } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { AccountService } from './accounts/account.service.js';
import { KEY_MATERIAL, resolveKeyMaterial } from './keys/key-material.js';
import { SecretBox } from './keys/secret-box.js';
import { CursorSeal } from './keys/cursor-seal.js';
import { OAuthClientService } from './oauth-clients/oauth-client.service.js';
import { OidcPayloadStore } from './oidc/oidc-payload.store.js';
import { ScimTokenService } from './scim-tokens/scim-token.service.js';
import { OAuthGrantService } from './support/oauth-grant.service.js';
import { SupportAccountService } from './support/support-account.service.js';
import { SupportTokenService } from './support/support-token.service.js';
import { TenantAdminService } from './support/tenant-admin.service.js';

@Module({
  providers: [
    ScimTokenService,
    {
      provide: KEY_MATERIAL,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => resolveKeyMaterial(config, (message) => new Logger('Keys').warn(message)),
    },
    SecretBox,
    CursorSeal,
    AccountService,
    OAuthClientService,
    OidcPayloadStore,
    SupportTokenService,
    SupportAccountService,
    TenantAdminService,
    OAuthGrantService,
  ],
  exports: [
    ScimTokenService,
    KEY_MATERIAL,
    SecretBox,
    CursorSeal,
    AccountService,
    OAuthClientService,
    OidcPayloadStore,
    SupportTokenService,
    SupportAccountService,
    TenantAdminService,
    OAuthGrantService,
  ],
})
export class IdentityModule {}
