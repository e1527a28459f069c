import { describe, expect, it } from 'vitest';
import { QueryFailedError } from 'typeorm';
import { describeDatabaseError, describeFailure } from './driver-errors.js';

const SECRET = 'sk_live_4f9c2b7e1d';

/** A mysql2 error as the driver throws it: `sql` has the values filled in. */
function mysqlError(message: string, code: string, errno: number, sql: string): Error {
  return Object.assign(new Error(message), { code, errno, sqlState: '23000', sqlMessage: message, sql });
}

describe('describeDatabaseError', () => {
  it('gives code, errno, message and the SQL text with placeholders; never a parameter', () => {
    const driver = mysqlError(`Duplicate entry 'x-${SECRET}' for key 'uq_token'`, 'ER_DUP_ENTRY', 1062, `INSERT INTO t (a, b) VALUES ('x', '${SECRET}')`);
    const line = describeDatabaseError(new QueryFailedError('INSERT INTO t (a, b) VALUES (?, ?)', ['x', SECRET], driver))!;
    expect(line).toContain('ER_DUP_ENTRY errno 1062 sqlstate 23000');
    expect(line).toContain("Duplicate entry '…' for key 'uq_token'");
    expect(line).toContain('statement: INSERT INTO t (a, b) VALUES (?, ?)');
    expect(line).toContain('parameters: 2 (values not logged)');
    expect(line).not.toContain(SECRET);
  });

  it('removes parameter values wherever a message quotes them, nested parameter lists included', () => {
    const driver = Object.assign(new Error(`no such thing: ${SECRET}`), { code: 'SQLITE_ERROR', errno: 1 });
    const line = describeDatabaseError(new QueryFailedError('SELECT 1 WHERE a IN (?, ?)', [[SECRET, 'other-value']], driver))!;
    expect(line).toContain('SQLITE_ERROR errno 1: no such thing: …');
    expect(line).not.toContain(SECRET);
  });

  it('is null for an error that did not come from the database', () => {
    expect(describeDatabaseError(new Error(`nothing to do with SQL ${SECRET}`))).toBeNull();
    expect(describeDatabaseError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }))).toBeNull();
  });
});

describe('describeFailure', () => {
  it('gives a database error its code and statement without the stack, and never a value the message quotes', () => {
    const driver = mysqlError(`Duplicate entry '${SECRET}' for key 'uq_hash'`, 'ER_DUP_ENTRY', 1062, `UPDATE t SET h = '${SECRET}'`);
    const text = describeFailure(new QueryFailedError('UPDATE t SET h = ? WHERE id = ?', [SECRET, 7], driver));
    expect(text.split('\n')).toEqual([
      "Database error ER_DUP_ENTRY errno 1062 sqlstate 23000: Duplicate entry '…' for key 'uq_hash'",
      '  statement: UPDATE t SET h = ? WHERE id = ?',
      '  parameters: 2 (values not logged)',
    ]);
  });

  it('gives any other error its message', () => {
    expect(describeFailure(new Error('Redis is gone'))).toBe('Redis is gone');
    expect(describeFailure('a string')).toBe('Non-error thrown');
  });
});
