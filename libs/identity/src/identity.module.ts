import { Module } from '@nestjs/common';
import { ScimTokenService } from './scim-tokens/scim-token.service.js';

@Module({
  providers: [ScimTokenService],
  exports: [ScimTokenService],
})
export class IdentityModule {}
