/**
 * The obvious storefront way to keep a sent message before it goes out: IndexedDB through the
 * `idb` package, one readwrite transaction per message that puts the message and its outbox
 * record. Runs inside the benchmark's worker, like the store it is compared with.
 */
import { deleteDB, openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { EnqueueInput } from '../../worker/store/LocalStore';

interface OutboxDb extends DBSchema {
  messages: {
    key: [string, string];
    value: { senderId: string; id: string; conversationId: string; content: unknown; state: 'pending'; createdAt: number };
    indexes: { byConversation: [string, number] };
  };
  outbox: {
    key: string;
    value: { messageId: string; conversationId: string; orderKey: number; attempts: number; nextAttemptAt: number };
    indexes: { byOrder: [string, number] };
  };
}

export interface IdbCommitResult {
  wallMs: number;
  /** Submit → transaction complete, ms, per message in submit order. */
  latencies: number[];
  stored: number;
}

async function open(name: string): Promise<IDBPDatabase<OutboxDb>> {
  return openDB<OutboxDb>(name, 1, {
    upgrade(db) {
      db.createObjectStore('messages', { keyPath: ['senderId', 'id'] }).createIndex('byConversation', ['conversationId', 'createdAt']);
      db.createObjectStore('outbox', { keyPath: 'messageId' }).createIndex('byOrder', ['conversationId', 'orderKey']);
    },
  });
}

/**
 * Stores `inputs` one transaction each: all submitted at once (`burst`) or each awaited before the
 * next (`serial`). `durability` is the transaction hint; the obvious way leaves it at 'default'.
 */
export async function idbCommit(
  name: string,
  userId: string,
  inputs: readonly EnqueueInput[],
  mode: 'burst' | 'serial',
  durability: IDBTransactionDurability = 'default',
): Promise<IdbCommitResult> {
  const db = await open(name);
  try {
    let orderKey = 0;
    const put = async (input: EnqueueInput) => {
      const tx = db.transaction(['messages', 'outbox'], 'readwrite', { durability });
      const { id, conversationId, content, createdAt } = input;
      // add, not put: a second message with the same id fails, as enqueue's CONFLICT does.
      await Promise.all([
        tx.objectStore('messages').add({ senderId: userId, id, conversationId, content, state: 'pending', createdAt }),
        tx.objectStore('outbox').add({ messageId: id, conversationId, orderKey: ++orderKey, attempts: 0, nextAttemptAt: 0 }),
        tx.done,
      ]);
    };
    // Warm the connection and the object stores, as a running app's would be.
    await put({ id: 'warm-up', conversationId: 'c_warm', content: { type: 'text', text: 'warm' }, createdAt: 0 });

    const latencies = new Array<number>(inputs.length);
    const t0 = performance.now();
    if (mode === 'burst') {
      await Promise.all(
        inputs.map((input, i) => {
          const s = performance.now();
          return put(input).then(() => void (latencies[i] = performance.now() - s));
        }),
      );
    } else {
      for (let i = 0; i < inputs.length; i++) {
        const s = performance.now();
        await put(inputs[i]!);
        latencies[i] = performance.now() - s;
      }
    }
    const wallMs = performance.now() - t0;
    const stored = (await db.count('outbox')) - 1;
    return { wallMs, latencies, stored };
  } finally {
    db.close();
    await deleteDB(name);
  }
}
