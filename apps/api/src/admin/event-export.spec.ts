import type { ProvisioningEventEntity } from '@app/directory';
import { eventExportStream, exportFormat } from './event-export.js';

const event = (id: number, overrides: Partial<ProvisioningEventEntity> = {}): ProvisioningEventEntity =>
  ({
    id: String(id),
    tenantId: 't',
    at: new Date('2026-11-30T04:00:00Z'),
    actorType: 'scim-token',
    actorId: 'tok',
    operation: 'create',
    resourceType: 'User',
    resourceId: null,
    status: 409,
    requestId: null,
    changedAttributes: '["userName","emails"]',
    detail: null,
    userName: 'jdoe@contoso.com',
    userNameKey: 'jdoe@contoso.com',
    externalId: null,
    displayName: null,
    count: 1,
    bucket: null,
    ...overrides,
  }) as ProvisioningEventEntity;

async function* batches(...lists: ProvisioningEventEntity[][]) {
  yield* lists;
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += chunk.toString();
  return out;
}

describe('event export', () => {
  it('chooses the format from ?format, else from Accept, else JSON', () => {
    expect(exportFormat('ndjson', 'text/csv')).toBe('ndjson');
    expect(exportFormat(undefined, 'text/csv; charset=utf-8')).toBe('csv');
    expect(exportFormat(undefined, 'application/x-ndjson')).toBe('ndjson');
    expect(exportFormat(undefined, 'application/ndjson, */*;q=0.1')).toBe('ndjson');
    expect(exportFormat(undefined, 'application/json, text/csv')).toBe('json');
    expect(exportFormat(undefined, undefined)).toBe('json');
    expect(exportFormat(undefined, 'text/html')).toBe('json');
  });

  it('writes RFC 4180 CSV: quotes, doubled quotes, line breaks, and formulas defused', async () => {
    const csv = await text(
      eventExportStream(
        batches([event(1, { displayName: 'Doe, "Jane"', detail: 'line one\nline two' })], [event(2, { userName: '=HYPERLINK("x")', externalId: '-1', status: 201 })]),
        'csv',
      ),
    );
    const lines = csv.split('\r\n');
    expect(lines[0].split(',')).toHaveLength(15);
    expect(lines.slice(1)).toEqual([
      '1,2026-11-30T04:00:00.000Z,scim-token,tok,create,User,,409,1,,jdoe@contoso.com,,"Doe, ""Jane""",userName emails,"line one\nline two"',
      `2,2026-11-30T04:00:00.000Z,scim-token,tok,create,User,,201,1,,"'=HYPERLINK(""x"")",'-1,,userName emails,`,
      '',
    ]);
  });

  it('writes one JSON event per NDJSON line', async () => {
    const ndjson = await text(eventExportStream(batches([event(1), event(2)], [event(3)]), 'ndjson'));
    expect(ndjson.trimEnd().split('\n').map((line) => JSON.parse(line).id)).toEqual(['1', '2', '3']);
  });
});
