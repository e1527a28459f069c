import { Global, Module } from '@nestjs/common';
import { RateLimits } from './rate-limits.service.js';

/** The rate limits, shared by every door. */
@Global()
@Module({ providers: [RateLimits], exports: [RateLimits] })
export class LimitsModule {}
