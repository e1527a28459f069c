import { DataSource } from 'typeorm';
import { Database, dataSourceOptions } from '@app/database';
import { createTestDatabase, dialects } from './support/test-app.js';

/**
 * The unit of work and the batched reads on a real database. On MySQL the pool holds a single
 * connection, so every check after a failure runs on the very connection that failed.
 */
describe.each(dialects())('Database units of work on %s', (dialect) => {
  let dataSource: DataSource;
  let db: Database;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    const database = await createTestDatabase(dialect);
    drop = database.drop;
    const options = dataSourceOptions(database.url, []);
    dataSource = await new DataSource(
      options.type === 'mysql' ? { ...options, poolSize: 1, extra: { connectionLimit: 1 } } : options,
    ).initialize();
    db = new Database(dataSource);
    await dataSource.query('CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20) NOT NULL)');
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await drop?.();
  });
  beforeEach(() => dataSource.query('DELETE FROM items'));

  const insert = (id: number, name: string) => ({ sql: 'INSERT INTO items (id, name) VALUES (?, ?)', params: [id, name] });
  const names = async () => ((await dataSource.query('SELECT name FROM items ORDER BY id')) as { name: string }[]).map((r) => r.name);

  it('runs queued writes before a read of the same unit, and returns only that read', async () => {
    const rows = await db.unitOfWork(async (unit) => {
      unit.queue(insert(1, 'one'));
      unit.queue(insert(2, 'two'));
      const [read] = await unit.run({ sql: 'SELECT name FROM items ORDER BY id', params: [] });
      unit.queue(insert(3, 'three'));
      return read;
    });
    expect(rows.map((r) => r.name)).toEqual(['one', 'two']);
    expect(await names()).toEqual(['one', 'two', 'three']);
  });

  it('writes nothing when a statement fails, and the connection serves the next unit', async () => {
    await dataSource.query("INSERT INTO items (id, name) VALUES (9, 'taken')");
    await expect(
      db.unitOfWork(async (unit) => {
        unit.queue(insert(1, 'one'));
        unit.queue(insert(9, 'duplicate'));
        unit.queue(insert(2, 'two'));
      }),
    ).rejects.toThrow();
    expect(await names()).toEqual(['taken']);
    await db.unitOfWork(async (unit) => unit.queue(insert(3, 'three')));
    expect(await names()).toEqual(['three', 'taken']);
  });

  it('undoes what a unit sent when its work throws after a read', async () => {
    await expect(
      db.unitOfWork(async (unit) => {
        unit.queue(insert(1, 'one'));
        await unit.run({ sql: 'SELECT COUNT(*) AS n FROM items', params: [] });
        throw new Error('changed its mind');
      }),
    ).rejects.toThrow('changed its mind');
    expect(await names()).toEqual([]);
  });

  it('reads several statements at once; a failed one leaves no transaction open behind it', async () => {
    await dataSource.query("INSERT INTO items (id, name) VALUES (1, 'one'), (2, 'two')");
    const [a, b] = await db.select(
      { sql: 'SELECT name FROM items WHERE id = ?', params: [1] },
      { sql: 'SELECT COUNT(*) AS n FROM items', params: [] },
    );
    expect(a).toEqual([{ name: 'one' }]);
    expect(Number(b[0].n)).toBe(2);
    await expect(
      db.select({ sql: 'SELECT name FROM items', params: [] }, { sql: 'SELECT nothing FROM no_such_table', params: [] }),
    ).rejects.toThrow();
    // On MySQL this runs on the same connection: inside a leftover read-only transaction it would fail.
    await dataSource.query("INSERT INTO items (id, name) VALUES (3, 'three')");
    expect(await names()).toEqual(['one', 'two', 'three']);
  });
});
