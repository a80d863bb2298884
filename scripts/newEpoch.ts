/**
 * `npm run new-epoch`: begin a new store epoch on the PostgreSQL database of PARLEY_DATABASE_URL
 * (and PARLEY_DATABASE_SCHEMA, if set). Run it after restoring a backup, with every node stopped:
 * devices that saw events the restored database lacks then roll back and resend (PROTOCOL.md,
 * *Epochs*). Running it when nothing was lost costs nothing but those devices' rollback checks.
 */
import pg from 'pg';
import { beginEpoch } from '../server/store/postgres/epochs';

const url = process.env.PARLEY_DATABASE_URL;
if (!url) {
  console.error('new-epoch: set PARLEY_DATABASE_URL to the database (the nodes must be stopped)');
  process.exit(1);
}
const schema = process.env.PARLEY_DATABASE_SCHEMA;
const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
try {
  await client.connect();
  const epoch = await beginEpoch(async (text, params) => (await client.query(text, params as unknown[])).rows, Date.now());
  console.log(`new epoch ${epoch.id}, beginning after cursor ${epoch.startCursor}; start the nodes now`);
} catch (err) {
  console.error(`new-epoch: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
} finally {
  await client.end().catch(() => {});
}
