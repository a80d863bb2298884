/**
 * The final check, in the spirit of Jepsen's queue checker: once faults are healed and the system
 * is quiet, compare what the clients were promised (history.ts) with what the server's database and
 * every device's database hold. Definitions:
 *
 * - acknowledged: send() resolved, i.e. the message and its outbox row were committed locally as
 *   pending. The engine promises to deliver it exactly once, in per-conversation order.
 * - lost: an acknowledged message missing on the server, or from the database of any device of any
 *   member of its conversation (the sender's own device and the sender's other devices included).
 * - stuck: on the server, but the sending device still holds it unsent (pending or failed, no seq).
 * - duplicated: a message text stored twice on the server or on one device (texts are unique per
 *   send, so two rows with one text means one send became two messages), or shown twice in one
 *   live page of a device during the run.
 * - reordered: a device holds a message at a seq where the server holds another one (its order
 *   differs from the server's); one device's acknowledged messages in one conversation got server
 *   seqs out of the order send() was called (messages the engine gave up on and the user resent
 *   are exempt: they go back in line at the resend); or a live page showed seqs out of order.
 * - regressions: a device showed a message's state going back (read → delivered, sent → pending),
 *   its seq changing, another user's message in an own state (or the reverse), or a device's
 *   stored push cursor lower after a reload than before it.
 * - unexpected: a message nobody sent, a send that was refused but stored anyway, or content that
 *   differs from what was sent.
 * - failed: an acknowledged message the engine marked failed with a code the server never answered
 *   in this workload (every send is valid and allowed): e.g. CLOSED. Failing after its 8 attempts
 *   with retryable errors is the engine's design and only counted (`gaveUp`). Either way the harness
 *   presses Resend at the end, as a user would, so the other checks still apply to the message.
 * - stale: after quiescence, an own message whose state on a device is behind the receipts the
 *   server pushed for its conversation (a delivered or read receipt that never reached the device),
 *   or a conversation's read position behind the read receipts pushed for the device's own party
 *   (the user's other devices, or the shop's other agents).
 * - dropped: a push of a device's stream (an event of one of its conversations) at or below the
 *   cursor the device finally stored that none of its engines ever stored: a push lost on the way
 *   (the stream is at-least-once; everything up to the cursor must have been stored once).
 * - rejected: a send() that rejected with no fault of its device to explain it (rejections.ts):
 *   STORAGE_FULL outside a quota episode, an unknown outcome with no kill or closed worker around
 *   it, or any other code (the workload's sends are all valid).
 * - unrecalled: a recall is a state of a message, and a recalled message must be recalled
 *   everywhere, exactly once: a recall() that resolved whose message the server does not hold
 *   recalled; a message the server holds recalled that some device holding it does not; a message
 *   recalled on the server or on a device though no recall() was called for it (counted as
 *   unexpected), or with more than one recall event in the stream (counted as duplicated).
 * Pass: all of them zero.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { numericTypes } from '../../server/store/postgres/PgStore';
import { isRetryable, type ErrorCode } from '../../schema';
import type { MessageState } from '../../worker/store/types';
import type { Anomaly, History, SendRecord } from './history';
import { unexplainedRejections } from './rejections';
import { readStoredRows, type StoredRows } from './storedRows';

export interface ServerRow {
  conversationId: string;
  seq: number;
  senderId: string;
  clientId: string;
  text: string;
  /** Its content is the recalled placeholder (`text` is then that JSON). */
  recalled?: boolean;
}

export interface DeviceRow {
  id: string;
  senderId: string;
  conversationId: string;
  seq: number | null;
  state: MessageState;
  text: string;
  recalled?: boolean;
}

export interface DeviceSnapshot {
  device: string;
  user: string;
  /** The deviceId its engine authenticates with, when not `device` (a browser's is its profile's). */
  deviceId?: string;
  messages: DeviceRow[];
  /** Outbox rows left: queued or failed. */
  outbox: { messageId: string; status: string; error: string | null }[];
  /** Each conversation's read position here (the user's, or their shop's). */
  readSeq: Map<string, number>;
  /** Highest push cursor stored. */
  cursor: number;
  /**
   * Push cursors this device's engines stored, from the log its database keeps in the same
   * transactions (a browser: browser/chaosStore.ts), which survives an engine killed right after
   * a commit. Absent: the history's `receive` events say (a Node device, whose engine runs in this
   * process and reports every push it stored).
   */
  storedPushes?: readonly number[];
  /** A browser's tabs whose views disagree with its first tab's at the end (browserDevice.ts). */
  uiDiffs?: string[];
}

const textOf = (content: string): string => {
  const c = JSON.parse(content) as { type?: string; text?: string };
  return c.type === 'text' && typeof c.text === 'string' ? c.text : content;
};
const recalledContent = (content: string): boolean => (JSON.parse(content) as { type?: string }).type === 'recalled';

export interface ServerSnapshot {
  rows: ServerRow[];
  lastSeq: Map<string, number>;
  /** conversation → member (user, or shop) → positions as the members table holds them. */
  members: Map<string, Map<string, Positions>>;
  /** conversation → member → the highest positions the server announced in receipt push events. */
  announced: Map<string, Map<string, Positions>>;
  /** The push stream: every event's cursor and conversation, and a little of what it says. */
  events: ServerEvent[];
}

export interface ServerEvent {
  cursor: number;
  conversationId: string;
  kind: string;
  /** When the server stored it (ms). */
  createdAt: number;
  /** The device whose send appended it: not pushed to that device (protocol 3). */
  origin?: { userId: string; deviceId: string };
  /** A message event: its seq and sender. */
  seq?: number;
  senderId?: string;
  /** A receipt event: whose, which, how far. */
  receipt?: { userId: string; kind: string; upToSeq: number };
  /** A recall event: whose message. */
  recall?: { senderId: string; messageId: string };
}

interface Positions {
  delivered: number;
  read: number;
}

/** Everything the server stored (read straight from its SQLite file; safe while it runs: WAL). */
/** The server's SQLite database file. */
export async function readServer(dbFile: string): Promise<ServerSnapshot> {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    return await readServerRows(async <T>(sql: string) => db.prepare(sql).all() as T[]);
  } finally {
    db.close();
  }
}

/** A cluster's PostgreSQL schema, in one snapshot (REPEATABLE READ). */
export async function readServerPg(databaseUrl: string, schema: string): Promise<ServerSnapshot> {
  const client = new pg.Client({
    connectionString: databaseUrl,
    options: `-c search_path=${schema}`,
    types: numericTypes,
  });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    return await readServerRows(async <T>(sql: string) => (await client.query(sql)).rows as T[]);
  } finally {
    await client.end();
  }
}

/** The server's rows, by an `all(sql)` of either database. */
async function readServerRows(all: <T>(sql: string) => Promise<T[]>): Promise<ServerSnapshot> {
  {
    const rows = (
      (await all('SELECT conversation_id, seq, sender_id, client_id, content FROM messages ORDER BY conversation_id, seq')) as {
        conversation_id: string;
        seq: number;
        sender_id: string;
        client_id: string;
        content: string;
      }[]
    ).map((r) => ({ conversationId: r.conversation_id, seq: r.seq, senderId: r.sender_id, clientId: r.client_id, text: textOf(r.content), recalled: recalledContent(r.content) }));
    const lastSeq = new Map(
      ((await all('SELECT id, last_seq FROM conversations')) as { id: string; last_seq: number }[]).map((r) => [r.id, r.last_seq]),
    );
    const at = (map: Map<string, Map<string, Positions>>, conversationId: string, member: string): Positions => {
      if (!map.has(conversationId)) map.set(conversationId, new Map());
      const byMember = map.get(conversationId)!;
      if (!byMember.has(member)) byMember.set(member, { delivered: 0, read: 0 });
      return byMember.get(member)!;
    };
    const members: ServerSnapshot['members'] = new Map();
    const memberRows = (await all('SELECT conversation_id, member_id, delivered_seq, read_seq FROM members')) as {
      conversation_id: string;
      member_id: string;
      delivered_seq: number;
      read_seq: number;
    }[];
    for (const m of memberRows) Object.assign(at(members, m.conversation_id, m.member_id), { delivered: m.delivered_seq, read: m.read_seq });
    const announced: ServerSnapshot['announced'] = new Map();
    for (const { payload } of (await all("SELECT payload FROM events WHERE kind = 'receipt'")) as { payload: string }[]) {
      const e = JSON.parse(payload) as { conversationId: string; userId: string; receipt: 'delivered' | 'read'; upToSeq: number };
      const p = at(announced, e.conversationId, e.userId);
      p.delivered = Math.max(p.delivered, e.upToSeq); // reading implies delivered
      if (e.receipt === 'read') p.read = Math.max(p.read, e.upToSeq);
    }
    const eventRows = (await all(
      `SELECT e.pos, e.conversation_id, e.kind, e.seq, e.payload, e.created_at, e.origin_user, e.origin_device, m.sender_id
         FROM events e LEFT JOIN messages m ON e.kind = 'message' AND m.conversation_id = e.conversation_id AND m.seq = e.seq
        ORDER BY e.pos`,
    )) as {
      pos: number;
      conversation_id: string;
      kind: string;
      seq: number | null;
      payload: string | null;
      created_at: number;
      origin_user: string | null;
      origin_device: string | null;
      sender_id: string | null;
    }[];
    const events = eventRows.map((e): ServerEvent => {
      const event: ServerEvent = { cursor: e.pos, conversationId: e.conversation_id, kind: e.kind, createdAt: e.created_at };
      if (e.seq !== null) event.seq = e.seq;
      if (e.sender_id !== null) event.senderId = e.sender_id;
      if (e.origin_user !== null && e.origin_device !== null) event.origin = { userId: e.origin_user, deviceId: e.origin_device };
      if (e.kind === 'receipt' && e.payload) {
        const r = JSON.parse(e.payload) as { userId: string; receipt: string; upToSeq: number };
        event.receipt = { userId: r.userId, kind: r.receipt, upToSeq: r.upToSeq };
      }
      if (e.kind === 'recall' && e.payload) {
        const r = JSON.parse(e.payload) as { senderId: string; messageId: string; seq: number };
        event.recall = { senderId: r.senderId, messageId: r.messageId };
        event.seq = r.seq;
      }
      return event;
    });
    return { rows, lastSeq, members, announced, events };
  }
}

/** A device's database file (open or closed: WAL lets a second reader in), in one read transaction. */
export async function readDevice(device: string, user: string, dbFile: string): Promise<DeviceSnapshot> {
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    db.exec('BEGIN');
    const rows = await readStoredRows({ all: async <T>(sql: string) => db.prepare(sql).all() as T[] });
    db.exec('COMMIT');
    return deviceSnapshot(device, user, rows);
  } finally {
    db.close();
  }
}

/** The checker's view of a device's stored rows (storedRows.ts): texts by which it knows messages. */
export function deviceSnapshot(device: string, user: string, rows: StoredRows): DeviceSnapshot {
  return {
    device,
    user,
    messages: rows.messages.map(({ content, ...m }) => ({ ...m, text: textOf(content), recalled: recalledContent(content) })),
    outbox: rows.outbox,
    readSeq: new Map(rows.readSeq),
    cursor: rows.cursor,
  };
}

const STATES = ['', 'sent', 'delivered', 'read'] as const;

/**
 * A known server bug (test/chaos/REPORT.md): an agent's send publishes the shop's read receipt it
 * committed with the message only after awaiting the message's publish, so a concurrent request's
 * later event can reach the hub first, and each Delivery then drops the receipt as already sent.
 */
export const SEND_RECEIPT_ORDER = "server: an agent send's shop read receipt published out of commit order";

/**
 * Own messages whose state on a device is behind what the server said in its receipt pushes to
 * this conversation (read or delivered by another member, and not shown so): receipts that never
 * reached that device. `party` is who the device speaks for (the user, or a merchant's shop).
 * With `positions: 'members'` the bar is the members table instead, which a send also raises
 * without any push (PROTOCOL.md §6): what a client could only infer.
 */
export function staleStates(server: ServerSnapshot, device: DeviceSnapshot, party: string, positions: 'announced' | 'members' = 'announced'): Anomaly[] {
  const rank: Record<string, number> = { sent: 1, delivered: 2, read: 3 };
  const source = positions === 'announced' ? server.announced : server.members;
  const found: Anomaly[] = [];
  for (const m of device.messages) {
    if (m.senderId !== device.user || m.seq === null) continue;
    let best = 1;
    for (const [member, r] of source.get(m.conversationId) ?? []) {
      if (member === party) continue;
      if (r.read >= m.seq) best = 3;
      else if (r.delivered >= m.seq) best = Math.max(best, 2);
    }
    if ((rank[m.state] ?? 0) < best) {
      found.push({
        kind: 'stale',
        device: device.device,
        id: m.id,
        detail: `"${m.text}" is ${m.state}; the server's ${positions === 'announced' ? 'receipt pushes' : 'members table'} say ${STATES[best]}`,
        ref: { conversationId: m.conversationId, seq: m.seq, by: 'others' },
      });
    }
  }
  // The party's own read position, which reaches "the reader's other devices" (and the shop's other agents) as a receipt.
  for (const [conversationId, byMember] of source) {
    const read = byMember.get(party)?.read ?? 0;
    const here = device.readSeq.get(conversationId);
    if (here !== undefined && here < read) {
      found.push({
        kind: 'stale',
        device: device.device,
        detail: `read position ${here} in ${conversationId}; the server's ${positions === 'announced' ? 'receipt pushes' : 'members table'} say ${party} read ${read}`,
        ref: { conversationId, seq: here + 1, by: 'self' },
      });
    }
  }
  return found;
}

/**
 * Where the receipt pushes that would have moved a stale state went: each one's cursor, and
 * whether the device stored it or its final cursor stayed below it. Tells a push lost on the way
 * from one stored but not applied.
 */
function receiptPushesFor(events: readonly ServerEvent[], ref: NonNullable<Anomaly['ref']>, party: string, device: DeviceSnapshot, stored: ReadonlySet<number>): string {
  const pushes = events.filter(
    (e) =>
      e.receipt !== undefined &&
      e.conversationId === ref.conversationId &&
      e.receipt.upToSeq >= ref.seq &&
      (ref.by === 'self' ? e.receipt.userId === party : e.receipt.userId !== party),
  );
  const fate = (e: ServerEvent) => (stored.has(e.cursor) ? 'stored' : e.cursor > device.cursor ? 'above its cursor' : 'not stored');
  const listed = pushes.map((e) => `${e.cursor} ${e.receipt!.kind} ${e.receipt!.upToSeq} by ${e.receipt!.userId}: ${fate(e)}`);
  return `receipt pushes ${listed.join('; ') || 'none'}; device cursor ${device.cursor}`;
}

export interface Counts {
  lost: number;
  duplicated: number;
  reordered: number;
  regressions: number;
  stuck: number;
  unexpected: number;
  failed: number;
  stale: number;
  dropped: number;
  rejected: number;
  unrecalled: number;
}

/** A run's counts when nothing went wrong: what the bounded runs in `npm test` require. */
export const NO_ANOMALIES: Counts = { lost: 0, duplicated: 0, reordered: 0, regressions: 0, stuck: 0, unexpected: 0, failed: 0, stale: 0, dropped: 0, rejected: 0, unrecalled: 0 };

export interface CheckResult {
  counts: Counts;
  /** send() calls that resolved. */
  acknowledged: number;
  /** send() calls not made: rejected, and (outcome unknown) found nowhere. Each must be explained by a fault, else it is also `rejected`. */
  refused: number;
  /** Messages the engine marked failed and the harness resent at the end. */
  resent: number;
  /** Messages the engine failed after its retries (retryable codes): by design. */
  gaveUp: number;
  /**
   * Own messages shown below the state the server's members table implies, where no receipt push
   * announced it: another member's send raised their read position silently (PROTOCOL.md §6).
   * Not a failure of the engine's promises; counted to show the gap.
   */
  silentReads: number;
  serverMessages: number;
  anomalies: Anomaly[];
  /** Anomalies no known bug explains: new findings. */
  unexplained: number;
  pass: boolean;
}

export interface Topology {
  /** User ids of a conversation's members (for a shop conversation: the customer and every agent). */
  membersOf(conversationId: string): readonly string[];
  devicesOf(user: string): readonly string[];
  /** Who a user speaks for in shop conversations: a merchant's shop, else the user. */
  partyOf(user: string): string;
}

export function check(
  history: History,
  server: ServerSnapshot,
  devices: readonly DeviceSnapshot[],
  topology: Topology,
): CheckResult {
  const found: Anomaly[] = [];
  const key = (sender: string, id: string) => `${sender}/${id}`;
  const sendsByText = new Map([...history.sends.values()].map((s) => [s.text, s]));

  // ---- the server's copy -----------------------------------------------------------------------
  const serverById = new Map<string, ServerRow>();
  const serverBySeq = new Map<string, ServerRow>();
  const serverTexts = new Map<string, number>();
  /** The send a row is: by its text, or (recalled: no text left) by its identity. */
  const sendOf = (r: { recalled?: boolean; text: string; senderId: string }, id: string): SendRecord | undefined => {
    if (!r.recalled) return sendsByText.get(r.text);
    const s = history.sends.get(id);
    return s && s.user === r.senderId ? s : undefined;
  };
  for (const r of server.rows) {
    serverById.set(key(r.senderId, r.clientId), r);
    serverBySeq.set(`${r.conversationId}#${r.seq}`, r);
    const sent = sendOf(r, r.clientId);
    const text = r.recalled ? (sent?.text ?? `recalled ${r.senderId}/${r.clientId}`) : r.text;
    serverTexts.set(text, (serverTexts.get(text) ?? 0) + 1);
    if (r.recalled && sent && !history.recalls.has(sent.id)) found.push({ kind: 'unexpected', id: r.clientId, detail: `"${sent.text}" is recalled on the server, though nobody recalled it` });
    if (!sent) found.push({ kind: 'unexpected', id: r.clientId, detail: `server holds a message nobody sent: ${r.text.slice(0, 80)}` });
    else if (sent.id !== r.clientId || sent.user !== r.senderId || sent.conversationId !== r.conversationId) {
      found.push({ kind: 'duplicate', id: r.clientId, detail: `server holds "${r.text}" as ${r.senderId}/${r.clientId}, sent as ${sent.user}/${sent.id}` });
    } else if (!sent.acknowledged && !sent.indeterminate) found.push({ kind: 'unexpected', id: r.clientId, detail: `refused send stored on the server: ${sent.error}` });
  }
  for (const [text, n] of serverTexts) {
    if (n > 1) found.push({ kind: 'duplicate', detail: `server holds "${text}" ${n} times` });
  }

  // ---- each device's copy ------------------------------------------------------------------------
  const held = new Map<string, Map<string, DeviceRow>>();
  for (const d of devices) {
    const byId = new Map<string, DeviceRow>();
    const texts = new Map<string, number>();
    for (const m of d.messages) {
      byId.set(key(m.senderId, m.id), m);
      const sent = sendOf(m, m.id);
      const text = m.recalled ? (sent?.text ?? `recalled ${m.senderId}/${m.id}`) : m.text;
      texts.set(text, (texts.get(text) ?? 0) + 1);
      if (m.recalled && serverById.get(key(m.senderId, m.id))?.recalled !== true) {
        found.push({ kind: 'unexpected', device: d.device, id: m.id, detail: `"${sent?.text ?? m.id}" is recalled here but not on the server` });
      }
      if (!sent) found.push({ kind: 'unexpected', device: d.device, id: m.id, detail: `holds a message nobody sent: ${m.text.slice(0, 80)}` });
      else if (sent.id !== m.id || sent.user !== m.senderId) {
        found.push({ kind: 'duplicate', device: d.device, id: m.id, detail: `holds "${m.text}" as ${m.senderId}/${m.id}, sent as ${sent.user}/${sent.id}` });
      } else if (!sent.acknowledged && !sent.indeterminate) found.push({ kind: 'unexpected', device: d.device, id: m.id, detail: `refused send stored here: ${sent.error}` });
      if (m.seq !== null) {
        const s = serverBySeq.get(`${m.conversationId}#${m.seq}`);
        if (!s || s.clientId !== m.id || s.senderId !== m.senderId) {
          found.push({
            kind: 'reordered',
            device: d.device,
            id: m.id,
            detail: `holds ${m.senderId}/${m.id} at seq ${m.seq} of ${m.conversationId}; the server has ${s ? `${s.senderId}/${s.clientId}` : 'nothing'} there`,
          });
        }
      }
    }
    for (const [text, n] of texts) if (n > 1) found.push({ kind: 'duplicate', device: d.device, detail: `holds "${text}" ${n} times` });
    held.set(d.device, byId);
  }

  // ---- the push stream: every event of the device's conversations up to its cursor was stored ------
  const pushesStored = (d: DeviceSnapshot): ReadonlySet<number> => (d.storedPushes ? new Set(d.storedPushes) : (history.received.get(d.device) ?? new Set<number>()));
  /** device → cursor of a push it never stored → the known cause, if any. */
  const dropped = new Map<string, Map<number, string | undefined>>();
  const eventAt = new Map(server.events.map((e) => [e.cursor, e]));
  for (const d of devices) {
    const party = topology.partyOf(d.user);
    const mine = new Set([...server.members].filter(([, byMember]) => byMember.has(d.user) || byMember.has(party)).map(([c]) => c));
    const got = pushesStored(d);
    const lostHere = new Map<number, string | undefined>();
    dropped.set(d.device, lostHere);
    server.events.forEach((e, i) => {
      if (e.cursor > d.cursor || !mine.has(e.conversationId) || got.has(e.cursor)) return;
      // The device's own sends are not pushed back to it (protocol 3): it settles them from the answers.
      if (e.origin?.userId === d.user && e.origin.deviceId === (d.deviceId ?? d.device)) return;
      // The shop's read receipt that an agent's send appends right after its message (same commit):
      // a read by someone other than the sender, up to that message's seq.
      const prev = server.events[i - 1];
      const follows =
        e.receipt?.kind === 'read' &&
        prev?.cursor === e.cursor - 1 &&
        prev.kind === 'message' &&
        prev.conversationId === e.conversationId &&
        prev.seq === e.receipt.upToSeq &&
        prev.senderId !== e.receipt.userId;
      const knownIssue = follows ? SEND_RECEIPT_ORDER : undefined;
      lostHere.set(e.cursor, knownIssue);
      found.push({
        kind: 'dropped',
        device: d.device,
        detail: `push ${e.cursor} (${e.kind} in ${e.conversationId}) never stored, though the device's cursor is ${d.cursor}`,
        ...(knownIssue ? { knownIssue } : {}),
      });
    });
  }
  /** The known cause of a push `device` never stored that matches, if every such push has one. */
  const explainedDrop = (device: string, match: (e: ServerEvent) => boolean): string | undefined => {
    const causes = [...(dropped.get(device) ?? [])].filter(([cursor]) => match(eventAt.get(cursor)!)).map(([, cause]) => cause);
    return causes.length > 0 && causes.every((c) => c !== undefined) ? causes[0] : undefined;
  };

  // A send whose outcome the client never learned counts as made once it turns up anywhere.
  const made = (s: SendRecord): boolean =>
    s.acknowledged || (s.indeterminate === true && (serverById.has(key(s.user, s.id)) || held.get(s.device)?.has(key(s.user, s.id)) === true));

  for (const d of devices) {
    for (const detail of d.uiDiffs ?? []) found.push({ kind: 'lost', device: d.device, detail: `UI: ${detail}` });
  }

  // ---- every acknowledged message, everywhere it belongs ------------------------------------------
  let acknowledged = 0;
  let refused = 0;
  for (const s of history.sends.values()) {
    if (!made(s)) {
      refused++;
      continue;
    }
    acknowledged++;
    const missing: string[] = [];
    const onServer = serverById.get(key(s.user, s.id));
    if (!onServer) missing.push('server');
    for (const user of topology.membersOf(s.conversationId)) {
      for (const device of topology.devicesOf(user)) {
        const copy = held.get(device)?.get(key(s.user, s.id));
        if (!copy) missing.push(device);
        else if (copy.seq === null && onServer) {
          found.push({ kind: 'stuck', device, id: s.id, detail: `"${s.text}" is on the server (seq ${onServer.seq}) but still ${copy.state} here` });
        }
      }
    }
    if (missing.length > 0) {
      // Missing only at devices that never got its push, for a known reason: that reason.
      const causes = missing.map((device) =>
        device === 'server' || !onServer
          ? undefined
          : explainedDrop(device, (e) => e.kind === 'message' && e.conversationId === s.conversationId && e.seq === onServer.seq),
      );
      const knownIssue = causes.every((c) => c !== undefined) ? causes[0] : undefined;
      found.push({ kind: 'lost', id: s.id, detail: `"${s.text}" (${s.conversationId}) missing at ${missing.join(', ')}`, ...(knownIssue ? { knownIssue } : {}) });
    }
  }

  // ---- per device and conversation, the server's order follows the order of send() calls ----------
  const runs = new Map<string, SendRecord[]>();
  for (const s of history.sends.values()) {
    if (!made(s) || history.everFailed.has(s.id) || history.resent.has(s.id)) continue;
    const k = `${s.device}/${s.conversationId}`;
    runs.set(k, [...(runs.get(k) ?? []), s]);
  }
  for (const run of runs.values()) {
    run.sort((a, b) => a.index - b.index);
    let top: { seq: number; text: string } | null = null;
    for (const s of run) {
      const seq = serverById.get(key(s.user, s.id))?.seq;
      if (seq === undefined) continue;
      if (top && seq < top.seq) {
        found.push({ kind: 'reordered', device: s.device, id: s.id, detail: `"${s.text}" got seq ${seq}, below "${top.text}" (seq ${top.seq}) sent before it` });
      }
      if (!top || seq > top.seq) top = { seq, text: s.text };
    }
  }

  // ---- recalls: a state of a message, the same everywhere, made once ----------------------------------
  for (const r of history.recalls.values()) {
    if (r.outcome === 'resolved' && serverById.get(key(r.user, r.id))?.recalled !== true) {
      found.push({ kind: 'unrecalled', id: r.id, detail: `"${r.text}": recall() resolved, but the server does not hold it recalled` });
    }
  }
  for (const row of server.rows) {
    if (!row.recalled) continue;
    for (const user of topology.membersOf(row.conversationId)) {
      for (const device of topology.devicesOf(user)) {
        const copy = held.get(device)?.get(key(row.senderId, row.clientId));
        if (copy && !copy.recalled) found.push({ kind: 'unrecalled', device, id: row.clientId, detail: `"${copy.text}" is recalled on the server but not here` });
      }
    }
  }
  const recallEvents = new Map<string, number>();
  for (const e of server.events) if (e.recall) recallEvents.set(key(e.recall.senderId, e.recall.messageId), (recallEvents.get(key(e.recall.senderId, e.recall.messageId)) ?? 0) + 1);
  for (const [k, count] of recallEvents) if (count > 1) found.push({ kind: 'duplicate', detail: `${k} recalled ${count} times in the stream` });

  let silentReads = 0;
  for (const d of devices) {
    const party = topology.partyOf(d.user);
    const stale = staleStates(server, d, party);
    for (const a of stale) {
      // A receipt that would have moved it, never stored here, for a known reason.
      const ref = a.ref!;
      const knownIssue = explainedDrop(
        d.device,
        (e) =>
          e.receipt !== undefined &&
          e.conversationId === ref.conversationId &&
          e.receipt.upToSeq >= ref.seq &&
          (ref.by === 'self' ? e.receipt.userId === party : e.receipt.userId !== party),
      );
      const where = receiptPushesFor(server.events, ref, party, d, pushesStored(d));
      found.push({ ...a, detail: `${a.detail} (${where})`, ...(knownIssue ? { knownIssue } : {}) });
    }
    silentReads += staleStates(server, d, party, 'members').length - stale.length;
  }

  let gaveUp = 0;
  for (const [id, code] of history.everFailed) {
    if (isRetryable(code as ErrorCode)) gaveUp++;
    else found.push({ kind: 'failed', id, detail: `${history.sends.get(id)?.text ?? id} failed with ${code}, which no server answer gave` });
  }

  found.push(...unexplainedRejections(history.sends.values(), history.disruptions));

  const anomalies = [...history.anomalies, ...found];
  const n = (kind: Anomaly['kind']) => anomalies.filter((a) => a.kind === kind).length;
  const counts: Counts = {
    lost: n('lost'),
    duplicated: n('duplicate'),
    reordered: n('reordered'),
    regressions: n('regression'),
    stuck: n('stuck'),
    unexpected: n('unexpected'),
    failed: n('failed'),
    stale: n('stale'),
    dropped: n('dropped'),
    rejected: n('rejected'),
    unrecalled: n('unrecalled'),
  };
  return {
    counts,
    acknowledged,
    refused,
    resent: history.resent.size,
    gaveUp,
    silentReads,
    serverMessages: server.rows.length,
    anomalies,
    unexplained: anomalies.filter((a) => !a.knownIssue).length,
    pass: Object.values(counts).every((c) => c === 0),
  };
}
