import { Module } from '@nestjs/common';
import { DirectoryModule } from '@app/directory';
import { IdentityModule } from '@app/identity';
import { InteractionController } from './interaction.controller.js';
import { InteractionService } from './interaction.service.js';
import { OidcProviderHost } from './oidc-provider.host.js';
import { OidcPurgeJob } from './oidc-purge.job.js';

/** The OAuth 2.0 authorization server (oidc-provider, mounted at /oauth by configureHttp) and its pages. */
@Module({
  imports: [DirectoryModule, IdentityModule],
  controllers: [InteractionController],
  providers: [OidcProviderHost, InteractionService, OidcPurgeJob],
  exports: [OidcProviderHost, OidcPurgeJob],
})
export class OAuthModule {}
