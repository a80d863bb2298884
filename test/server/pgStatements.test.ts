/**
 * Named statements (server/store/postgres/statements.ts): parsed and planned once per connection,
 * and, when a migration changes a table under a running node, sent unnamed from then on.
 */
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { noteFailure, statement } from '../../server/store/postgres/statements';
import { databaseUrl, dropSchema, freshSchema, SKIP_NOTE } from '../support/services';

describe('statement()', () => {
  it('names a text by its hash, the same name each time, and different texts apart', () => {
    const a = statement('SELECT $1::int AS n', [1]);
    expect(a.name).toMatch(/^parley_[0-9a-f]{24}$/);
    expect(statement('SELECT $1::int AS n', [2])).toEqual({ name: a.name, text: 'SELECT $1::int AS n', values: [2] });
    expect(statement('SELECT $1::int AS m', [1]).name).not.toBe(a.name);
  });

  it('goes unnamed for a text whose plan the schema changed, and only then', () => {
    const text = 'SELECT * FROM unit_only_table';
    noteFailure(text, Object.assign(new Error('relation does not exist'), { code: '42P01' }));
    expect(statement(text).name).toBeDefined();
    noteFailure(text, Object.assign(new Error('cached plan must not change result type'), { code: '0A000' }));
    expect(statement(text).name).toBeUndefined();
  });
});

describe.skipIf(!databaseUrl)(`named statements on PostgreSQL${databaseUrl ? '' : ` (${SKIP_NOTE})`}`, () => {
  const schemas: string[] = [];
  afterEach(async () => {
    for (const s of schemas.splice(0)) await dropSchema(s);
  });

  it('recover when a column is added under a prepared SELECT *', async () => {
    const schema = freshSchema();
    schemas.push(schema);
    const client = new pg.Client({ connectionString: databaseUrl, options: `-c search_path=${schema}` });
    await client.connect();
    try {
      await client.query(`CREATE SCHEMA ${schema}`);
      await client.query('CREATE TABLE t (id int)');
      await client.query('INSERT INTO t VALUES (1)');
      const text = 'SELECT * FROM t WHERE id = $1';
      const run = async () => {
        try {
          return (await client.query(statement(text, [1]))).rows;
        } catch (err) {
          noteFailure(text, err);
          throw err;
        }
      };
      expect(await run()).toEqual([{ id: 1 }]);
      await client.query('ALTER TABLE t ADD COLUMN note text'); // another node's migration
      await expect(run()).rejects.toMatchObject({ code: '0A000' });
      expect(await run()).toEqual([{ id: 1, note: null }]);
    } finally {
      await client.end();
    }
  });
});
