import { Global, Module } from '@nestjs/common';
import { AppConfig } from '@app/config';
import { Metrics } from '../observability/metrics.js';
import { RateLimits } from './rate-limits.service.js';
import { ScimRateGate } from './scim-rate-gate.js';

/** The rate limits, shared by every door. */
@Global()
@Module({
  providers: [
    RateLimits,
    {
      provide: ScimRateGate,
      inject: [RateLimits, Metrics, AppConfig],
      useFactory: (limits: RateLimits, metrics: Metrics, config: AppConfig) => new ScimRateGate(limits, metrics, config.SCIM_CONCURRENCY_PER_TENANT),
    },
  ],
  exports: [RateLimits, ScimRateGate],
})
export class LimitsModule {}
