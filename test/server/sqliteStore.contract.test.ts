/** The Store contract (storeContract.ts) on the embedded SQLite store. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SqliteStore } from '../../server/store/sqlite/SqliteStore';
import { storeContract } from './storeContract';

storeContract('SQLite', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-contract-'));
  const store = new SqliteStore({ dataDir: dir, sync: 'full', now: Date.now });
  store.seed([{ id: 'contract-shop', name: 'Contract shop' }], []);
  return {
    store,
    shopId: 'contract-shop',
    close: async () => {
      await store.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
});
