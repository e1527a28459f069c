import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { PassportModule } from '@nestjs/passport';
import { DirectoryModule } from '@app/directory';
import { IdentityModule } from '@app/identity';
import { ScimBearerStrategy } from './scim-bearer.strategy.js';
import { ScimDiscoveryController } from './scim-discovery.controller.js';
import { ScimUsersController } from './scim-users.controller.js';
import { ScimGroupsController } from './scim-groups.controller.js';

@Module({
  imports: [PassportModule, DirectoryModule, IdentityModule],
  controllers: [ScimUsersController, ScimGroupsController, ScimDiscoveryController],
  providers: [ScimBearerStrategy],
})
export class ScimModule {}
