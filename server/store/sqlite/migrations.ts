/**
 * The server's SQLite schema, as numbered migrations applied in order inside one transaction each.
 * `PRAGMA user_version` records the last one applied. Never edit a shipped migration: add one.
 */
export const MIGRATIONS: readonly string[] = [
  /* 1: initial schema */ `
  CREATE TABLE shops (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL
  );
  CREATE TABLE users (
    id TEXT PRIMARY KEY,
    role TEXT NOT NULL,
    shop_id TEXT,
    display_name TEXT NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX users_by_shop ON users (shop_id) WHERE shop_id IS NOT NULL;
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    title TEXT NOT NULL,
    shop_id TEXT,
    customer_id TEXT,
    created_by TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seq INTEGER NOT NULL DEFAULT 0,
    last_activity_at INTEGER NOT NULL
  );
  CREATE UNIQUE INDEX conversations_direct_pair ON conversations (shop_id, customer_id) WHERE kind = 'direct';
  -- A member is a user, or a shop whose agents all speak for it. Receipts are kept per member.
  CREATE TABLE members (
    conversation_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'shop')),
    joined_at INTEGER NOT NULL,
    delivered_seq INTEGER NOT NULL DEFAULT 0,
    read_seq INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, member_id)
  ) WITHOUT ROWID;
  CREATE INDEX members_by_member ON members (member_id, conversation_id);
  CREATE TABLE messages (
    conversation_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sender_id TEXT NOT NULL,
    party_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    content TEXT NOT NULL,
    server_ts INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, seq)
  ) WITHOUT ROWID;
  -- The idempotency key: one row per (sender, client id), forever.
  CREATE UNIQUE INDEX messages_idempotency ON messages (sender_id, client_id);
  -- The push stream. pos is the cursor; message events point at their row instead of copying it.
  CREATE TABLE events (
    pos INTEGER PRIMARY KEY AUTOINCREMENT,
    conversation_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq INTEGER,
    payload TEXT,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX events_by_conversation ON events (conversation_id, pos);
  CREATE TABLE device_cursors (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    acked_cursor INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, device_id)
  ) WITHOUT ROWID;
  `,
  /* 2: uploaded media (issue 6). The bytes live in MediaStorage; this row says who may read them. */ `
  CREATE TABLE media (
    key TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    mime TEXT NOT NULL,
    bytes INTEGER NOT NULL,
    -- The client's idempotency key: a retried upload returns the first one's key.
    upload_id TEXT,
    created_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE UNIQUE INDEX media_upload ON media (owner_id, upload_id) WHERE upload_id IS NOT NULL;
  CREATE INDEX media_by_conversation ON media (conversation_id);
  `,
  /* 3: members are matched by (kind, id): a user id may equal a shop's id */ `
  CREATE INDEX members_by_party ON members (member_id, kind, conversation_id);
  DROP INDEX members_by_member;
  `,
  /* 4: store epochs. A new one at every start; a device's cursor is checked against its epoch's end */ `
  CREATE TABLE epochs (
    n INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    -- Every event cursor at or below this was committed before the epoch began.
    start_cursor INTEGER NOT NULL,
    started_at INTEGER NOT NULL
  );
  `,
  /* 5: each user's media bytes, summed for the storage quota */ `
  CREATE INDEX media_by_owner ON media (owner_id, bytes);
  `,
  /* 6: the device whose send appended an event, which is not pushed it back (protocol 3) */ `
  ALTER TABLE events ADD COLUMN origin_user TEXT;
  ALTER TABLE events ADD COLUMN origin_device TEXT;
  `,
  /* 7: retention of the push stream. The highest cursor pruned from each conversation's events: a
     device whose replay would start below it missed events that are gone, and rebuilds from the head */ `
  ALTER TABLE conversations ADD COLUMN pruned_pos INTEGER NOT NULL DEFAULT 0;
  `,
  /* 8: the service desk (protocol 5): who handles each shop conversation, exactly-once desk actions,
     the round robin's place per shop, and the shop's quick replies */ `
  CREATE TABLE desk_assignments (
    conversation_id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL,
    -- NULL: in the shop's queue.
    agent_id TEXT,
    note TEXT,
    by_id TEXT,
    updated_at INTEGER NOT NULL
  );
  CREATE INDEX desk_assignments_by_shop ON desk_assignments (shop_id, updated_at);
  CREATE TABLE desk_actions (action_id TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
  CREATE INDEX desk_actions_by_age ON desk_actions (created_at);
  CREATE TABLE desk_rotation (shop_id TEXT PRIMARY KEY, last_agent TEXT NOT NULL);
  CREATE TABLE quick_replies (
    shop_id TEXT NOT NULL,
    id TEXT NOT NULL,
    shortcut TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (shop_id, id)
  );
  `,
];
