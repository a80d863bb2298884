/**
 * The server's PostgreSQL schema, as numbered migrations. Nodes starting together run them under one
 * advisory lock, each in its own transaction; `parley_schema.version` records the last one applied.
 * Never edit a shipped migration: add one.
 *
 * It mirrors the SQLite schema with two differences that make it safe for several writers:
 * - `stream.head` is the push stream's counter, one row. A write takes it last, just before its
 *   commit, and holds its row lock until the commit: cursors are therefore handed out in commit
 *   order with no holes (a rolled-back write rolls the counter back too), so a reader that has every
 *   event up to N and sees N+2 knows N+1 exists and is committed. A sequence would not do: values
 *   are taken before commit, so N+2 can be visible while N+1 is still in flight, or never commits.
 * - there is one epoch for the database (PostgreSQL keeps what it acknowledged), not one per start.
 */
export const PG_MIGRATIONS: readonly string[] = [
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
    created_at BIGINT NOT NULL
  );
  CREATE INDEX users_by_shop ON users (shop_id) WHERE shop_id IS NOT NULL;
  CREATE TABLE conversations (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('direct', 'group')),
    title TEXT NOT NULL,
    shop_id TEXT,
    customer_id TEXT,
    created_by TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_seq BIGINT NOT NULL DEFAULT 0,
    last_activity_at BIGINT NOT NULL,
    pruned_pos BIGINT NOT NULL DEFAULT 0
  );
  CREATE UNIQUE INDEX conversations_direct_pair ON conversations (shop_id, customer_id) WHERE kind = 'direct';
  CREATE TABLE members (
    conversation_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('user', 'shop')),
    joined_at BIGINT NOT NULL,
    delivered_seq BIGINT NOT NULL DEFAULT 0,
    read_seq BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (conversation_id, member_id)
  );
  CREATE INDEX members_by_party ON members (member_id, kind, conversation_id);
  CREATE TABLE messages (
    conversation_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    sender_id TEXT NOT NULL,
    party_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    content TEXT NOT NULL,
    server_ts BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, seq)
  );
  CREATE UNIQUE INDEX messages_idempotency ON messages (sender_id, client_id);
  CREATE TABLE stream (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    head BIGINT NOT NULL
  );
  INSERT INTO stream (id, head) VALUES (1, 0);
  CREATE TABLE events (
    pos BIGINT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    seq BIGINT,
    payload TEXT,
    created_at BIGINT NOT NULL,
    origin_user TEXT,
    origin_device TEXT
  );
  CREATE INDEX events_by_conversation ON events (conversation_id, pos);
  CREATE TABLE device_cursors (
    user_id TEXT NOT NULL,
    device_id TEXT NOT NULL,
    acked_cursor BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, device_id)
  );
  CREATE TABLE media (
    key TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    owner_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    mime TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    upload_id TEXT,
    created_at BIGINT NOT NULL
  );
  CREATE UNIQUE INDEX media_upload ON media (owner_id, upload_id) WHERE upload_id IS NOT NULL;
  CREATE INDEX media_by_conversation ON media (conversation_id);
  CREATE INDEX media_by_owner ON media (owner_id, bytes);
  CREATE TABLE epochs (
    n SERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    start_cursor BIGINT NOT NULL,
    started_at BIGINT NOT NULL
  );
  INSERT INTO epochs (id, start_cursor, started_at)
    VALUES (substr(md5(random()::text || clock_timestamp()::text), 1, 16), 0, (extract(epoch FROM now()) * 1000)::bigint);
  `,
  /* 2: session claims. A login bumps its slot's epoch; a session's writes are fenced by the epoch it claimed */ `
  CREATE TABLE session_claims (
    user_id TEXT NOT NULL,
    -- '*': the user's one slot (single-session policy); otherwise a device id (one slot per device).
    scope TEXT NOT NULL,
    epoch BIGINT NOT NULL,
    device_id TEXT NOT NULL,
    claimed_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, scope)
  );
  `,
  /* 3: uploaded bytes, shared by every node (PgMediaStorage); who may read them is in media */ `
  CREATE TABLE media_objects (
    key TEXT PRIMARY KEY,
    mime TEXT NOT NULL,
    bytes BIGINT NOT NULL,
    -- Readers see an object only once every chunk is written.
    complete BOOLEAN NOT NULL,
    created_at BIGINT NOT NULL
  );
  CREATE TABLE media_chunks (
    key TEXT NOT NULL,
    n INTEGER NOT NULL,
    data BYTEA NOT NULL,
    PRIMARY KEY (key, n)
  );
  `,
  /* 4: the service desk (protocol 5): who handles each shop conversation, exactly-once desk actions,
     the round robin's place per shop, and the shop's quick replies */ `
  CREATE TABLE desk_assignments (
    conversation_id TEXT PRIMARY KEY,
    shop_id TEXT NOT NULL,
    agent_id TEXT,
    note TEXT,
    by_id TEXT,
    updated_at BIGINT NOT NULL
  );
  CREATE INDEX desk_assignments_by_shop ON desk_assignments (shop_id, updated_at);
  CREATE TABLE desk_actions (action_id TEXT PRIMARY KEY, created_at BIGINT NOT NULL);
  CREATE INDEX desk_actions_by_age ON desk_actions (created_at);
  CREATE TABLE desk_rotation (shop_id TEXT PRIMARY KEY, last_agent TEXT NOT NULL);
  CREATE TABLE quick_replies (
    shop_id TEXT NOT NULL,
    id TEXT NOT NULL,
    shortcut TEXT NOT NULL,
    text TEXT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (shop_id, id)
  );
  `,
];
