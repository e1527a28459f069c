import { parseFilter, ScimError } from '@app/scim';
import { compileFilter, positional } from '../sql/filter-compiler.js';
import { userFilterWith, USER_FILTER } from '../users/user-filter.js';
import { extensionValues } from './extension-values.js';
import type { ExtensionAttribute, TenantSchemaExtensionEntity } from './schema-extension.entity.js';

const ATEA = 'urn:ietf:params:scim:schemas:extension:atea:2.0:User';
const attribute = (name: string, more: Partial<ExtensionAttribute> = {}): ExtensionAttribute => ({
  name,
  type: 'string',
  multiValued: false,
  caseExact: false,
  required: false,
  canonicalValues: [],
  description: '',
  ...more,
});
const extension = (...attributes: ExtensionAttribute[]) => ({ urn: ATEA, attributes }) as TenantSchemaExtensionEntity;
const scimType = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    return error instanceof ScimError ? error.scimType : 'not a ScimError';
  }
  return undefined;
};

describe('extensionValues', () => {
  const ext = extension(
    attribute('costCenterCode'),
    attribute('tags', { multiValued: true }),
    attribute('region', { canonicalValues: ['North', 'South'] }),
    attribute('code', { canonicalValues: ['A'], caseExact: true }),
    attribute('startsOn', { type: 'dateTime' }),
    attribute('vip', { type: 'boolean' }),
  );

  it('keeps the declared attributes as JSON and one row per value, lower-cased key, in order', () => {
    const { values, json } = extensionValues({ [ATEA]: { costCenterCode: 'CC-Oslo', tags: ['b', 'A'], vip: true, undeclared: 'x' } }, [ext]);
    expect(json).toEqual({ [ATEA]: { costCenterCode: 'CC-Oslo', tags: ['b', 'A'], vip: true } });
    expect(values.map((v) => [v.attr, v.position, v.value, v.valueKey])).toEqual([
      ['costCenterCode', 0, 'CC-Oslo', 'cc-oslo'],
      ['tags', 0, 'b', 'b'],
      ['tags', 1, 'A', 'a'],
      ['vip', 0, 'true', 'true'],
    ]);
    expect(extensionValues({ userName: 'a' }, [ext])).toEqual({ values: [], json: {} });
  });

  it('refuses values outside the declaration with invalidValue', () => {
    expect(scimType(() => extensionValues({ [ATEA]: { region: 'north' } }, [ext]))).toBeUndefined();
    expect(scimType(() => extensionValues({ [ATEA]: { region: 'East' } }, [ext]))).toBe('invalidValue');
    expect(scimType(() => extensionValues({ [ATEA]: { code: 'a' } }, [ext]))).toBe('invalidValue');
    expect(scimType(() => extensionValues({ [ATEA]: { startsOn: '2026-02-28T00:00:00' } }, [ext]))).toBeUndefined();
    expect(scimType(() => extensionValues({ [ATEA]: { startsOn: 'tomorrow' } }, [ext]))).toBe('invalidValue');
    expect(scimType(() => extensionValues({ [ATEA]: { costCenterCode: 'x'.repeat(256) } }, [ext]))).toBe('invalidValue');
  });
});

describe('userFilterWith', () => {
  const compile = (text: string, extensions = [extension(attribute('costCenterCode'), attribute('badge', { caseExact: true }))]) =>
    positional(compileFilter(parseFilter(text), userFilterWith(extensions), (d) => d.toISOString()));

  it('compiles a declared attribute to EXISTS on its values, joined on the tenant, case-insensitive unless caseExact', () => {
    const eq = compile(`${ATEA}:costCenterCode eq "CC-Oslo"`);
    expect(eq.sql).toBe(
      'EXISTS (SELECT 1 FROM scim_user_extension_values c WHERE c.user_id = u.id AND c.tenant_id = u.tenant_id AND c.urn = ? AND c.attr = ? AND c.value_key IS NOT NULL AND c.value_key = ?)',
    );
    expect(eq.params).toEqual([ATEA, 'costCenterCode', 'cc-oslo']);
    expect(compile(`${ATEA}:badge sw "B-"`).sql).toContain('c.value LIKE ?');
    expect(compile(`${ATEA}:badge sw "B-"`).params).toEqual([ATEA, 'badge', 'B-%']);
    expect(compile(`${ATEA}:costCenterCode pr`).sql).toContain('c.value_key IS NOT NULL');
  });

  it('knows no attribute the tenant has not declared', () => {
    expect(userFilterWith([])).toBe(USER_FILTER);
    expect(scimType(() => compile(`${ATEA}:costCenterCode eq "x"`, []))).toBe('invalidFilter');
    expect(scimType(() => compile(`${ATEA}:other eq "x"`))).toBe('invalidFilter');
  });
});
