import { Readable } from 'node:stream';
import type { ProvisioningEventEntity } from '@app/directory';
import { toEventDto, type ExportFormat, type ProvisioningEventDto } from './dto/directory.dto.js';

export const EXPORT_CONTENT_TYPES: Record<Exclude<ExportFormat, 'json'>, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

/** `?format=` when given; otherwise the Accept header (text/csv, application/x-ndjson or application/ndjson); otherwise JSON. */
export function exportFormat(format: ExportFormat | undefined, accept: string | undefined): ExportFormat {
  if (format) return format;
  const types = (accept ?? '').toLowerCase().split(',').map((part) => part.split(';')[0].trim());
  for (const type of types) {
    if (type === 'text/csv') return 'csv';
    if (type === 'application/x-ndjson' || type === 'application/ndjson') return 'ndjson';
    if (type === 'application/json' || type === '*/*') return 'json';
  }
  return 'json';
}

const COLUMNS: (keyof ProvisioningEventDto)[] = [
  'id',
  'at',
  'actorType',
  'actorId',
  'operation',
  'resourceType',
  'resourceId',
  'status',
  'count',
  'requestId',
  'userName',
  'externalId',
  'displayName',
  'changedAttributes',
  'detail',
];

/**
 * One CSV field (RFC 4180). Text that a spreadsheet would run as a formula (a userName sent by a
 * SCIM client may start with `=`) is prefixed with a single quote.
 */
function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return String(value);
  let text = Array.isArray(value) ? value.join(' ') : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * The events as a CSV (with a header line) or NDJSON stream. Batches are pulled as the client reads
 * (the stream's back-pressure), so memory holds one batch whatever the number of events.
 */
export function eventExportStream(batches: AsyncIterable<ProvisioningEventEntity[]>, format: Exclude<ExportFormat, 'json'>): Readable {
  async function* lines(): AsyncGenerator<string> {
    if (format === 'csv') yield `${COLUMNS.join(',')}\r\n`;
    for await (const batch of batches) {
      let chunk = '';
      for (const event of batch) {
        const dto = toEventDto(event);
        chunk += format === 'csv' ? `${COLUMNS.map((c) => csvField(dto[c])).join(',')}\r\n` : `${JSON.stringify(dto)}\n`;
      }
      yield chunk;
    }
  }
  return Readable.from(lines(), { objectMode: false });
}
