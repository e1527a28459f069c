import { randomBytes } from 'node:crypto';
import { CursorSeal } from '@app/identity';
import { parseListQuery, ScimError, USER_RESOURCE, GROUP_RESOURCE } from '@app/scim';
import { CURSOR_TIMEOUT_SECONDS, ScimCursors } from './scim-cursors.js';

const seal = new CursorSeal({ jwks: { keys: [] }, cookieKeys: ['x'.repeat(32)], encryptionKeys: [{ id: 'k', key: randomBytes(32) }] });
const cursors = new ScimCursors(seal);
const page = (rows: number, more: boolean) => ({
  rows: Array.from({ length: rows }, (_, i) => ({ schemas: [USER_RESOURCE.core.id], id: `u${i}` })),
  first: rows ? { value: null, id: 'u0' } : undefined,
  last: rows ? { value: null, id: `u${rows - 1}` } : undefined,
  more,
});

function scimType(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof ScimError ? error.scimType : 'not a ScimError';
  }
  return undefined;
}

describe('ScimCursors', () => {
  afterEach(() => vi.restoreAllMocks());

  it('gives nextCursor while rows follow and previousCursor once past the first page', () => {
    const query = parseListQuery({ cursor: '', count: '2' });
    const first = cursors.body('t1', USER_RESOURCE, query, cursors.request('t1', USER_RESOURCE, query), page(2, true));
    expect(first.previousCursor).toBeUndefined();
    const next = parseListQuery({ cursor: first.nextCursor, count: '2' });
    const request = cursors.request('t1', USER_RESOURCE, next);
    expect(request.after).toEqual({ value: null, id: 'u1' });
    const last = cursors.body('t1', USER_RESOURCE, next, request, page(1, false));
    expect(last.nextCursor).toBeUndefined();
    expect(cursors.request('t1', USER_RESOURCE, parseListQuery({ cursor: last.previousCursor })).before).toEqual({ value: null, id: 'u0' });
  });

  it('binds a cursor to its tenant, resource type and query, and lets it expire', () => {
    const query = parseListQuery({ cursor: '', filter: 'userName sw "a"' });
    const { nextCursor } = cursors.body('t1', USER_RESOURCE, query, cursors.request('t1', USER_RESOURCE, query), page(1, true));
    const again = (params: Record<string, string>) => parseListQuery({ cursor: nextCursor!, ...params });
    expect(scimType(() => cursors.request('t1', USER_RESOURCE, again({ filter: 'userName sw "a"' })))).toBeUndefined();
    expect(scimType(() => cursors.request('t2', USER_RESOURCE, again({ filter: 'userName sw "a"' })))).toBe('invalidCursor');
    expect(scimType(() => cursors.request('t1', GROUP_RESOURCE, again({ filter: 'userName sw "a"' })))).toBe('invalidCursor');
    expect(scimType(() => cursors.request('t1', USER_RESOURCE, again({ filter: 'userName sw "b"' })))).toBe('invalidCursor');
    expect(scimType(() => cursors.request('t1', USER_RESOURCE, again({ filter: 'userName sw "a"', sortBy: 'userName' })))).toBe('invalidCursor');
    vi.spyOn(Date, 'now').mockReturnValue(Date.now() + (CURSOR_TIMEOUT_SECONDS + 5) * 1000);
    expect(scimType(() => cursors.request('t1', USER_RESOURCE, again({ filter: 'userName sw "a"' })))).toBe('expiredCursor');
  });
});
