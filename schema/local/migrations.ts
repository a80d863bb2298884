/**
 * The local database in the browser (one per user): numbered migrations, applied in order, each in
 * one transaction; `PRAGMA user_version` records how many ran. Never edit a shipped migration.
 *
 * Own messages move forward only: pending → sent → delivered → read, or failed (→ pending again
 * on a manual resend). Others' messages are 'received'. A message is identified by
 * (sender_id, id) (the id is the sender's client-generated UUID) and, once stored by the server,
 * by (conversation_id, seq).
 */
export const LOCAL_MIGRATIONS: readonly string[] = [
  /* 1: initial schema */ `
  CREATE TABLE meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
  ) WITHOUT ROWID;

  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    title TEXT NOT NULL,
    shop_id TEXT,
    created_at INTEGER NOT NULL,
    -- Highest seq the server has told us exists.
    last_seq INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER NOT NULL,
    -- This user's (or their shop's) read position.
    read_seq INTEGER NOT NULL DEFAULT 0,
    -- Every seq in 1..contiguous_seq is stored locally (or was before the oldest page we keep).
    contiguous_seq INTEGER NOT NULL DEFAULT 0,
    -- No older history exists on the server than what we hold.
    history_complete INTEGER NOT NULL DEFAULT 0
  ) WITHOUT ROWID;
  CREATE INDEX conversations_activity ON conversations (last_activity_at DESC);

  CREATE TABLE messages (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq INTEGER,
    content TEXT NOT NULL,
    -- Plain text for search (the text of a text message, a card's title).
    search_text TEXT,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'delivered', 'read', 'failed', 'received')),
    error_code TEXT,
    error_message TEXT,
    created_at INTEGER NOT NULL,
    server_ts INTEGER
  );
  CREATE UNIQUE INDEX messages_identity ON messages (sender_id, id);
  CREATE UNIQUE INDEX messages_order ON messages (conversation_id, seq) WHERE seq IS NOT NULL;
  CREATE INDEX messages_unsent ON messages (conversation_id, created_at) WHERE seq IS NULL;

  -- One row per own message not yet acknowledged by the server. Its order_key is the send order.
  CREATE TABLE outbox (
    message_id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    order_key INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL CHECK (status IN ('queued', 'failed')),
    last_error_code TEXT,
    last_error_message TEXT
  ) WITHOUT ROWID;
  CREATE INDEX outbox_order ON outbox (conversation_id, order_key);

  -- Delivered/read positions of each member (a user, or a shop) per conversation.
  CREATE TABLE receipts (
    conversation_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    delivered_seq INTEGER NOT NULL DEFAULT 0,
    read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, member_id)
  ) WITHOUT ROWID;

  -- Full-text search over message text; trigram works for Chinese (no word breaks needed).
  CREATE VIRTUAL TABLE messages_fts USING fts5 (search_text, content = 'messages', content_rowid = 'rowid', tokenize = 'trigram');
  CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.search_text IS NOT NULL BEGIN
    INSERT INTO messages_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
  END;
  CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.search_text IS NOT NULL BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
  END;
  `,
  /* 2: media files waiting to be uploaded with their message */ `
  -- The bytes of an own image/voice message's files, stored with the message (same transaction)
  -- so a message written offline keeps its files across reloads. The message's content refers to
  -- each as 'local:<upload_id>' until its url is known; the row goes when the message is sent or
  -- deleted. upload_id doubles as the server's idempotency key: an upload retried after a cut
  -- never makes a second file. A rowid table: large blobs do not belong in a WITHOUT ROWID b-tree.
  CREATE TABLE media_uploads (
    rowid INTEGER PRIMARY KEY,
    upload_id TEXT NOT NULL UNIQUE,
    message_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('image', 'thumb', 'voice')),
    mime TEXT NOT NULL,
    size INTEGER NOT NULL,
    bytes BLOB NOT NULL,
    -- The server's path once uploaded.
    url TEXT
  );
  CREATE INDEX media_uploads_message ON media_uploads (message_id);
  `,
  /* 3: the search text derived from content instead of stored a second time */ `
  -- search_text held a copy of the text already in content (~40 % of a text message's row, written
  -- once more on every catch-up). It is now a VIRTUAL generated column: computed when read, by the
  -- FTS triggers, the external-content FTS table and the short-query scan alike. The table is
  -- rebuilt (a column cannot become generated in place), rowids kept, and the index rebuilt from it.
  -- The index keeps no positions (detail = none): which messages hold each trigram is enough to find
  -- candidates, and search checks the text itself (worker/store/queries.ts). The positions were 80 %
  -- of the index and, with its merges, most of the pages a catch-up wrote.
  DROP TRIGGER messages_fts_insert;
  DROP TRIGGER messages_fts_delete;
  DROP TABLE messages_fts;
  CREATE TABLE messages_v3 (
    rowid INTEGER PRIMARY KEY,
    id TEXT NOT NULL,
    sender_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    seq INTEGER,
    content TEXT NOT NULL,
    -- What search sees: a text's text, a card's title; nothing for media or unknown types.
    search_text TEXT GENERATED ALWAYS AS (
      CASE json_extract(content, '$.type')
        WHEN 'text' THEN json_extract(content, '$.text')
        WHEN 'product' THEN json_extract(content, '$.title')
        WHEN 'order' THEN json_extract(content, '$.title')
      END
    ) VIRTUAL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sent', 'delivered', 'read', 'failed', 'received')),
    error_code TEXT,
    error_message TEXT,
    created_at INTEGER NOT NULL,
    server_ts INTEGER
  );
  INSERT INTO messages_v3 (rowid, id, sender_id, conversation_id, seq, content, state, error_code, error_message, created_at, server_ts)
    SELECT rowid, id, sender_id, conversation_id, seq, content, state, error_code, error_message, created_at, server_ts FROM messages;
  DROP TABLE messages;
  ALTER TABLE messages_v3 RENAME TO messages;
  CREATE UNIQUE INDEX messages_identity ON messages (sender_id, id);
  CREATE UNIQUE INDEX messages_order ON messages (conversation_id, seq) WHERE seq IS NOT NULL;
  CREATE INDEX messages_unsent ON messages (conversation_id, created_at) WHERE seq IS NULL;

  CREATE VIRTUAL TABLE messages_fts USING fts5 (search_text, content = 'messages', content_rowid = 'rowid', tokenize = 'trigram', detail = none);
  INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
  CREATE TRIGGER messages_fts_insert AFTER INSERT ON messages WHEN new.search_text IS NOT NULL BEGIN
    INSERT INTO messages_fts (rowid, search_text) VALUES (new.rowid, new.search_text);
  END;
  CREATE TRIGGER messages_fts_delete AFTER DELETE ON messages WHEN old.search_text IS NOT NULL BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, search_text) VALUES ('delete', old.rowid, old.search_text);
  END;
  -- The text now follows content: a content change that changes it (never a text message's today)
  -- must move the index with it, or a later delete would remove terms the index does not hold.
  CREATE TRIGGER messages_fts_update AFTER UPDATE OF content ON messages WHEN old.search_text IS NOT new.search_text BEGIN
    INSERT INTO messages_fts (messages_fts, rowid, search_text) SELECT 'delete', old.rowid, old.search_text WHERE old.search_text IS NOT NULL;
    INSERT INTO messages_fts (rowid, search_text) SELECT new.rowid, new.search_text WHERE new.search_text IS NOT NULL;
  END;
  `,
  // 4: FTS5 merges the index's segments as it writes: with the default automerge of 4, a level of
  // four segments is merged at once, so a catch-up that writes page after page keeps rewriting the
  // trigram index it just wrote (about one index entry per character of text). At 16 (the most
  // FTS5 allows) merges come four times more rarely and bigger. Measured in the bench's ingest: a
  // catch-up of 10,000 stored page by page 2.8k -> 3.4-3.6k msg/s, pages merged ~9.7k -> ~10.1k.
  // The price is at search time, where more segments are read: a search of 10,000 messages took
  // ~1.1 ms instead of ~0.6 ms (native SQLite, same index), small beside a keystroke.
  `
  INSERT INTO messages_fts (messages_fts, rank) VALUES ('automerge', 16);
  `,
  /* 5: the service desk's actions taken offline (take, transfer, queue), sent once in order when online */ `
  CREATE TABLE desk_outbox (
    action_id TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    agent_id TEXT,
    note TEXT,
    created_at INTEGER NOT NULL
  );
  `,
];

/** Keys of the meta table. */
export const MetaKey = {
  /** Highest push cursor whose event is stored: pushes at or below it are duplicates. */
  CURSOR: 'cursor',
  /** The server's store epoch the cursor was stored under (auth_ok's `epoch`). */
  EPOCH: 'epoch',
  /** The user this database belongs to (a guard against opening another user's file). */
  USER_ID: 'user_id',
  /** Monotonic counter for outbox order. */
  ORDER_KEY: 'order_key',
  /**
   * Present while the head the server asked this device to load (auth_ok's `rebuild`) is not all
   * stored: its value is the cursor the stream restarted after. Removed with the head's last page.
   */
  HEAD_PENDING: 'head_pending',
} as const;
