/** Brings a local database to this build's schema and binds it to one user. */
import { ErrorCode, ParleyError } from '../../schema';
import { LOCAL_MIGRATIONS, MetaKey } from '../../schema/local/migrations';
import { first, getMeta, setMeta } from './rows';
import type { SqlDriver } from './SqlDriver';

/**
 * Applies the migrations not yet run, each in its own transaction with the `user_version` that
 * records it, so a crash leaves the database at a whole version. Returns the version reached.
 * @throws ParleyError INTERNAL when the database was written by a newer build (more migrations than this one knows).
 */
export async function migrate(driver: SqlDriver, migrations: readonly string[] = LOCAL_MIGRATIONS): Promise<number> {
  const version = (await first<{ user_version: number }>(driver, 'PRAGMA user_version'))?.user_version ?? 0;
  if (version > migrations.length) {
    throw new ParleyError(
      ErrorCode.INTERNAL,
      `the local database is at schema version ${version}, newer than this build's ${migrations.length}`,
    );
  }
  for (let v = version; v < migrations.length; v++) {
    const sql = migrations[v]!;
    await driver.transaction(async (tx) => {
      await tx.exec(sql);
      await tx.exec(`PRAGMA user_version = ${v + 1}`);
    });
  }
  return migrations.length;
}

/**
 * Records `userId` as the database's owner on first open; later opens must be by the same user.
 * @throws ParleyError FORBIDDEN when the database belongs to another user.
 */
export async function claim(driver: SqlDriver, userId: string): Promise<void> {
  // Every open after the first only reads: no write transaction (a durable IndexedDB commit) for it.
  const recorded = await getMeta(driver, MetaKey.USER_ID);
  if (recorded === userId) return;
  await driver.transaction(async (tx) => {
    const owner = await getMeta(tx, MetaKey.USER_ID);
    if (owner === null) await setMeta(tx, MetaKey.USER_ID, userId);
    else if (owner !== userId) throw new ParleyError(ErrorCode.FORBIDDEN, 'this local database belongs to another user');
  });
}
