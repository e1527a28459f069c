import { Global, Module } from '@nestjs/common';
import { ShutdownState } from '../lifecycle/shutdown-state.js';
import { Metrics } from './metrics.js';

/** Metrics (for rate limiters and the database pool) and the shutdown state, for every module. */
@Global()
@Module({ providers: [Metrics, ShutdownState], exports: [Metrics, ShutdownState] })
export class ObservabilityModule {}
