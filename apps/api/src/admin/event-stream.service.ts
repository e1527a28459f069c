import type { ServerResponse } from 'node:http';
import { Injectable, Logger, type OnModuleDestroy } from '@nestjs/common';
import { describeFailure } from '@app/database';
import { ProvisioningEventQuery } from '@app/directory';
import { toEventDto } from './dto/directory.dto.js';

/** How often an open stream asks the database for new events: every instance's writes are seen within this. */
export const STREAM_POLL_MS = 1000;
/** A comment line this often keeps proxies and load balancers from closing a quiet stream. */
export const STREAM_HEARTBEAT_MS = 15_000;
/** Open streams per instance; one more is refused with 503 and Retry-After. */
export const STREAM_RETRY_AFTER_SECONDS = 30;
export const MAX_OPEN_STREAMS = 100;

interface OpenStream {
  tenantId: string;
  cursor: string;
  res: ServerResponse;
  polling: boolean;
  lastWrite: number;
}

/**
 * Live streams of tenants' provisioning events as Server-Sent Events. The events table is the only
 * source: every open stream polls it by id cursor (one indexed query per second), so an event written
 * by any instance reaches every stream within about a second, with no shared broker. One timer
 * serves every stream of the instance.
 */
@Injectable()
export class EventStreamService implements OnModuleDestroy {
  private readonly logger = new Logger('EventStream');
  private readonly streams = new Set<OpenStream>();
  private timer: NodeJS.Timeout | null = null;

  constructor(private readonly events: ProvisioningEventQuery) {}

  /** Whether this instance may open one more stream (at most MAX_OPEN_STREAMS). */
  hasRoom(): boolean {
    return this.streams.size < MAX_OPEN_STREAMS;
  }

  /** Where a stream starts: after `lastEventId` when the client resumes, otherwise after the tenant's newest event. */
  async cursor(tenantId: string, lastEventId: string | undefined): Promise<string> {
    return lastEventId && /^\d{1,20}$/.test(lastEventId) ? lastEventId : this.events.latestId(tenantId);
  }

  /** Streams the tenant's events after `cursor` to `res`, already answered with the SSE headers, until the client goes. */
  open(tenantId: string, res: ServerResponse, cursor: string): void {
    const stream: OpenStream = { tenantId, cursor, res, polling: false, lastWrite: Date.now() };
    this.streams.add(stream);
    res.on('close', () => this.streams.delete(stream));
    res.write(`retry: ${STREAM_POLL_MS}\n: events of tenant ${tenantId} after ${cursor}\n\n`);
    this.timer ??= setInterval(() => this.tick(), STREAM_POLL_MS);
    void this.poll(stream);
  }

  get openStreams(): number {
    return this.streams.size;
  }

  onModuleDestroy(): void {
    for (const stream of this.streams) stream.res.end();
    this.streams.clear();
    this.stopTimer();
  }

  private tick(): void {
    if (this.streams.size === 0) return this.stopTimer();
    for (const stream of this.streams) {
      if (!stream.polling) void this.poll(stream);
    }
  }

  private async poll(stream: OpenStream): Promise<void> {
    stream.polling = true;
    try {
      const batch = await this.events.after(stream.tenantId, stream.cursor);
      if (!this.streams.has(stream)) return;
      if (batch.length > 0) {
        stream.cursor = String(batch[batch.length - 1].id);
        stream.res.write(batch.map((e) => `id: ${e.id}\nevent: provisioning-event\ndata: ${JSON.stringify(toEventDto(e))}\n\n`).join(''));
        stream.lastWrite = Date.now();
      } else if (Date.now() - stream.lastWrite >= STREAM_HEARTBEAT_MS) {
        stream.res.write(': heartbeat\n\n');
        stream.lastWrite = Date.now();
      }
    } catch (error) {
      // A database hiccup: the next tick tries again; the client sees only a later event.
      this.logger.warn(`Event stream of tenant ${stream.tenantId} could not poll: ${describeFailure(error)}`);
    } finally {
      stream.polling = false;
    }
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
