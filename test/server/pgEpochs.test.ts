/**
 * Store epochs on PostgreSQL after a restore: one epoch per database until `npm run new-epoch`
 * begins another at the stream's head, and a device of an earlier epoch is told where its epoch
 * ended (past that, it rolls back).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { PgStore } from '../../server/store/postgres/PgStore';
import { databaseUrl, dropSchema, freshSchema, SKIP_NOTE } from '../support/services';

const run = promisify(execFile);
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');
const url = databaseUrl;

describe.skipIf(!url)(`store epochs on PostgreSQL${url ? '' : ` (${SKIP_NOTE})`}`, () => {
  const schemas: string[] = [];
  afterEach(async () => {
    for (const s of schemas.splice(0)) await dropSchema(s);
  });

  async function open(schema: string) {
    return PgStore.open({ url: url!, schema, now: Date.now, poolSize: 2 });
  }

  /** The restored database's stream head (as if the events after it were lost). */
  async function setHead(schema: string, head: number) {
    const client = new pg.Client({ connectionString: url, options: `-c search_path=${schema}` });
    await client.connect();
    await client.query('UPDATE stream SET head = $1', [head]);
    await client.end();
  }

  async function newEpoch(schema: string): Promise<string> {
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'scripts/newEpoch.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PARLEY_DATABASE_URL: url, PARLEY_DATABASE_SCHEMA: schema },
    });
    return stdout;
  }

  it('keeps one epoch across restarts; after new-epoch, the old one ends at the restored head', async () => {
    const schema = freshSchema();
    schemas.push(schema);
    let store = await open(schema);
    const first = store.epoch;
    await store.close();
    store = await open(schema);
    expect(store.epoch).toBe(first); // a restart loses nothing: same epoch
    await store.close();

    await setHead(schema, 4);
    expect(await newEpoch(schema)).toMatch(/^new epoch [0-9a-f]{16}, beginning after cursor 4; start the nodes now/);
    store = await open(schema);
    const second = store.epoch;
    expect(second).not.toBe(first);
    expect(await store.epochEnd(first)).toBe(4); // a device of the first epoch past cursor 4 rolls back
    expect(await store.epochEnd(second)).toBeNull();
    await store.close();

    // A second restore: the first epoch still ends where it ended, not at the newest start.
    await setHead(schema, 9);
    await newEpoch(schema);
    store = await open(schema);
    expect(await store.epochEnd(first)).toBe(4);
    expect(await store.epochEnd(second)).toBe(9);
    expect(await store.epochEnd('not-an-epoch-here')).toBe(9);
    await store.close();
  });

  it('refuses to run without a database URL, saying what to set', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'scripts/newEpoch.ts'], {
      cwd: REPO_ROOT,
      env: { ...process.env, PARLEY_DATABASE_URL: '' },
    }).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    expect(failed?.stderr).toMatch(/set PARLEY_DATABASE_URL/);
  });
});
