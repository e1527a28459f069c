import { Global, Module } from '@nestjs/common';
import { RateLimits } from './rate-limits.service.js';
import { ScimRateGate } from './scim-rate-gate.js';

/** The rate limits, shared by every door. */
@Global()
@Module({
  providers: [RateLimits, { provide: ScimRateGate, inject: [RateLimits], useFactory: (limits: RateLimits) => new ScimRateGate(limits) }],
  exports: [RateLimits, ScimRateGate],
})
export class LimitsModule {}
