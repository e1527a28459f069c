import { describe, expect, it } from 'vitest';
import { MysqlUnitOfWork, type MysqlConnection } from './unit-of-work.js';
import { isRetryableDriverError } from './driver-errors.js';

/** A connection that records each query it is sent and fails the one containing `failOn`. */
function recordingConnection(failOn?: string): MysqlConnection & { sent: string[] } {
  const sent: string[] = [];
  return {
    sent,
    query({ sql }, callback) {
      sent.push(sql);
      const count = sql.split(';\n').length;
      if (failOn && sql.includes(failOn)) callback(Object.assign(new Error('Deadlock found'), { errno: 1213 }), null);
      else callback(null, count === 1 ? [] : Array.from({ length: count }, () => []));
    },
  };
}

const insert = (n: number) => ({ sql: `INSERT INTO t VALUES (${n})`, params: [] });

describe('MysqlUnitOfWork', () => {
  it('batched: a create is one round trip with its COMMIT', async () => {
    const connection = recordingConnection();
    const unit = new MysqlUnitOfWork(connection, 'batch');
    unit.queue(insert(1));
    unit.queue(insert(2));
    await unit.commit();
    expect(connection.sent).toEqual(['START TRANSACTION;\nINSERT INTO t VALUES (1);\nINSERT INTO t VALUES (2);\nCOMMIT']);
  });

  it('single: one statement per round trip, and nothing after a failed one is sent', async () => {
    const connection = recordingConnection('VALUES (2)');
    const unit = new MysqlUnitOfWork(connection, 'single');
    unit.queue(insert(1));
    unit.queue(insert(2));
    unit.queue(insert(3));
    await expect(unit.commit()).rejects.toMatchObject({ errno: 1213 });
    expect(connection.sent).toEqual(['START TRANSACTION', 'INSERT INTO t VALUES (1)', 'INSERT INTO t VALUES (2)']);
    await unit.rollback();
    expect(connection.sent.at(-1)).toBe('ROLLBACK');
  });

  it('single: run returns the rows of the statements asked for', async () => {
    const connection = recordingConnection();
    const unit = new MysqlUnitOfWork(connection, 'single');
    unit.queue(insert(1));
    const results = await unit.run({ sql: 'SELECT 1', params: [] }, { sql: 'SELECT 2', params: [] });
    expect(results).toHaveLength(2);
    expect(connection.sent).toEqual(['START TRANSACTION', 'INSERT INTO t VALUES (1)', 'SELECT 1', 'SELECT 2']);
  });
});

describe('isRetryableDriverError', () => {
  it('retries what the engine asks to retry and a node that is not ready or not reachable', () => {
    for (const error of [{ errno: 1213 }, { errno: 1205 }, { errno: 1047 }, { errno: 1053 }, { code: 'ECONNREFUSED' }, { driverError: { errno: 1213 } }]) {
      expect(isRetryableDriverError(error)).toBe(true);
    }
  });

  it('does not retry a duplicate, a bug, or a connection lost in the middle (its COMMIT may have gone through)', () => {
    for (const error of [{ errno: 1062 }, { errno: 1064 }, { code: 'PROTOCOL_CONNECTION_LOST', fatal: true }, { errno: 2013 }, new Error('boom')]) {
      expect(isRetryableDriverError(error)).toBe(false);
    }
  });
});
