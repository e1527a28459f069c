import { Module } from '@nestjs/common';
import { PassportModule } from '@nestjs/passport';
import { DirectoryModule } from '@app/directory';
import { IdentityModule } from '@app/identity';
import { OAuthModule } from '../oauth/oauth.module.js';
import { OAuthAccessTokenStrategy } from './oauth-access-token.strategy.js';
import { RefusedBodyRecorder } from './refused-body.recorder.js';
import { ScimBearerStrategy } from './scim-bearer.strategy.js';
import { ScimDiscoveryController } from './scim-discovery.controller.js';
import { ScimUsersController } from './scim-users.controller.js';
import { ScimGroupsController } from './scim-groups.controller.js';
import { ScimSearchController } from './scim-search.controller.js';
import { ScimCursors } from './scim-cursors.js';

@Module({
  imports: [PassportModule, DirectoryModule, IdentityModule, OAuthModule],
  controllers: [ScimUsersController, ScimGroupsController, ScimSearchController, ScimDiscoveryController],
  providers: [ScimBearerStrategy, OAuthAccessTokenStrategy, RefusedBodyRecorder, ScimCursors],
})
export class ScimModule {}
