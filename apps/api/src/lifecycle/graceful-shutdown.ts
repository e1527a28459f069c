import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { Logger, type INestApplication } from '@nestjs/common';
import type { AppConfig } from '@app/config';
import { ShutdownState } from './shutdown-state.js';

/**
 * Stops the service without failing a request. On SIGTERM: readiness (`/health/ready`) fails at once
 * while requests are still served for SHUTDOWN_DELAY_SECONDS (time for a load balancer to take the
 * instance out); then the port closes, requests in flight finish (at most SHUTDOWN_TIMEOUT_SECONDS,
 * after which their connections are cut), the database is closed and the process exits 0. SIGINT
 * (Ctrl-C in a terminal) skips the delay. `onClosed` runs last (the metrics endpoint).
 */
export function gracefulShutdown(app: INestApplication, config: AppConfig, onClosed: () => Promise<void> = async () => undefined): void {
  const logger = new Logger('Shutdown');
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    app.get(ShutdownState).draining = true;
    const delay = signal === 'SIGTERM' ? config.SHUTDOWN_DELAY_SECONDS : 0;
    logger.log(`${signal}: readiness fails from now on; the port closes in ${delay} s`);
    if (delay > 0) await sleep(delay * 1000);
    const server = app.getHttpServer() as Server;
    // Keep-alive connections are closed as soon as their last response is sent (closing the port
    // closes only those idle at that moment).
    const idle = setInterval(() => server.closeIdleConnections(), 100);
    const deadline = setTimeout(() => {
      logger.warn(`Requests still running after ${config.SHUTDOWN_TIMEOUT_SECONDS} s: closing their connections`);
      server.closeAllConnections();
    }, config.SHUTDOWN_TIMEOUT_SECONDS * 1000);
    deadline.unref();
    let code = 0;
    try {
      await app.close();
      await onClosed();
      logger.log('Stopped');
    } catch (error) {
      logger.error(`Shutdown failed: ${(error as Error).message}`);
      code = 1;
    }
    clearTimeout(deadline);
    clearInterval(idle);
    process.exit(code);
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, (s) => void stop(s));
}
