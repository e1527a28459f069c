import { inspect } from 'node:util';
import type { LoggerService } from '@nestjs/common';

/**
 * A Nest logger that keeps every entry, formatted as Nest's console logger formats objects and
 * errors (own properties and stack included), so that a test can search what the app logged.
 */
export class CapturingLogger implements LoggerService {
  readonly entries: { level: string; message: string }[] = [];

  /** Every entry as one line: its level, then its message. */
  get lines(): string[] {
    return this.entries.map((entry) => `${entry.level} ${entry.message}`);
  }

  clear(): void {
    this.entries.length = 0;
  }

  private push = (level: string) => (message: unknown, ...rest: unknown[]) =>
    void this.entries.push({ level, message: [message, ...rest].map((m) => (typeof m === 'string' ? m : inspect(m, { depth: 6 }))).join(' ') });
  log = this.push('log');
  error = this.push('error');
  warn = this.push('warn');
  debug = this.push('debug');
  verbose = this.push('verbose');
  fatal = this.push('fatal');
}
