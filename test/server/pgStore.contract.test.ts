/** The Store contract (storeContract.ts) on PostgreSQL, each test on a schema of its own. */
import { describe, it } from 'vitest';
import { PgStore } from '../../server/store/postgres/PgStore';
import { databaseUrl, dropSchema, freshSchema, SKIP_NOTE } from '../support/services';
import { storeContract } from './storeContract';

const url = databaseUrl;
if (url) {
  storeContract('PostgreSQL', async () => {
    const schema = freshSchema();
    const store = await PgStore.open({ url, schema, now: Date.now, poolSize: 4 });
    await store.seed([{ id: 'contract-shop', name: 'Contract shop' }], []);
    return {
      store,
      shopId: 'contract-shop',
      close: async () => {
        await store.close();
        await dropSchema(schema);
      },
    };
  });
} else {
  describe.skip(`Store contract: PostgreSQL (${SKIP_NOTE})`, () => {
    it.skip('needs PostgreSQL', () => {});
  });
}
