import { describe, expect, it } from 'vitest';
import { guardRemovals, removesMessages } from '../../../worker/snapshot/guardRemovals';
import type { SqlDriver, SqlExecutor } from '../../../worker/store/SqlDriver';

describe('removesMessages', () => {
  it.each([
    'DELETE FROM messages WHERE rowid = ?',
    '  delete   from  messages where 1',
    'DROP TABLE messages',
    'DROP TABLE IF EXISTS "messages"',
    'ALTER TABLE messages RENAME TO old_messages',
  ])('matches %s', (sql) => expect(removesMessages(sql)).toBe(true));

  it.each([
    'DELETE FROM outbox WHERE message_id = ?',
    'DELETE FROM messages_fts WHERE rowid = ?',
    "UPDATE messages SET state = 'sent' WHERE id = ?",
    'SELECT * FROM messages',
    'INSERT INTO messages (id) VALUES (?)',
  ])('leaves %s alone', (sql) => expect(removesMessages(sql)).toBe(false));
});

/** A driver that logs statements, and the hooks logging into the same list. */
function setup() {
  const log: string[] = [];
  const exec: SqlExecutor = {
    exec: async (sql) => void log.push(sql),
    all: async (sql) => (log.push(sql), []),
    run: async (sql) => (log.push(sql), { changes: 0, lastInsertRowid: 0 }),
  };
  const driver: SqlDriver = {
    ...exec,
    durability: 'persistent',
    async transaction(fn) {
      log.push('BEGIN');
      try {
        const r = await fn(exec);
        log.push('COMMIT');
        return r;
      } catch (e) {
        log.push('ROLLBACK');
        throw e;
      }
    },
    close: async () => {},
  };
  const guarded = guardRemovals(driver, {
    beforeRemoval: async () => void log.push('before'),
    afterRemoval: async () => void log.push('after'),
  });
  return { log, guarded };
}

describe('guardRemovals', () => {
  it('in a transaction: the hook runs before the statement, and the removal ends with the transaction', async () => {
    const { log, guarded } = setup();
    await guarded.transaction(async (tx) => {
      await tx.run('UPDATE messages SET seq = NULL');
      await tx.run('DELETE FROM messages WHERE rowid = ?', [1]);
      await tx.run('DELETE FROM outbox WHERE message_id = ?', ['x']);
    });
    expect(log).toEqual(['BEGIN', 'UPDATE messages SET seq = NULL', 'before', 'DELETE FROM messages WHERE rowid = ?', 'DELETE FROM outbox WHERE message_id = ?', 'COMMIT', 'after']);
  });

  it('ends the removal when the transaction rolls back', async () => {
    const { log, guarded } = setup();
    await expect(
      guarded.transaction(async (tx) => {
        await tx.run('DELETE FROM messages');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(log).toEqual(['BEGIN', 'before', 'DELETE FROM messages', 'ROLLBACK', 'after']);
  });

  it('outside a transaction: around the statement', async () => {
    const { log, guarded } = setup();
    await guarded.exec('DROP TABLE messages');
    await guarded.all('SELECT 1');
    expect(log).toEqual(['before', 'DROP TABLE messages', 'after', 'SELECT 1']);
  });
});
