import { Module } from '@nestjs/common';
import { TenantService } from './tenants/tenant.service.js';
import { ScimUserRepository } from './users/scim-user.repository.js';
import { ScimUserService } from './users/scim-user.service.js';
import { ScimGroupRepository } from './groups/scim-group.repository.js';
import { ScimGroupService } from './groups/scim-group.service.js';

@Module({
  providers: [TenantService, ScimUserRepository, ScimUserService, ScimGroupRepository, ScimGroupService],
  exports: [TenantService, ScimUserService, ScimGroupService],
})
export class DirectoryModule {}
