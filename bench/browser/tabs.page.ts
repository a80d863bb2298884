/**
 * A storefront tab running the real Parley client (the shipped /parley/parley-client.js), for the
 * fan-out, paint and tabs benchmarks. Query: `as` (user), `cid` (the conversation to show),
 * `rows` (how many of its latest messages to paint, default 50). It renders the conversation's
 * latest page from watchMessages (what the UI kit uses) into a plain list, and exposes `window.bench`
 * (see BenchTab). No UI kit: the benchmarks measure the engine, not Lit.
 */
import type * as ClientModule from '../../client';
import type { LocalMessage } from '../../client';
import { ArrivalLog, devToken, nextFrame, pageQuery, renderRows, type BenchTab, type PaintMarks, type TextRow } from './tabsCommon';

const marks: PaintMarks = { start: performance.now() };
const q = pageQuery();
const log = new ArrivalLog();

const textOf = (m: LocalMessage): string => (m.content.type === 'text' ? (m.content as { text: string }).text : `[${m.content.type}]`);
const row = (m: LocalMessage): TextRow => ({ id: m.id, sender: m.senderId, text: textOf(m), seq: m.seq });

// Loaded as a storefront loads it (tabs.html preloads it beside this module).
const clientUrl = '/parley/parley-client.js';
const { connect, readSnapshot } = (await import(clientUrl)) as typeof ClientModule;
marks.imported = performance.now();

// `worker`: another engine bundle under /bench/ (diagnostics: an instrumented build).
const workerUrl = new URLSearchParams(location.search).get('worker');
// The snapshot is read beside connect(), as a storefront would: painted if it comes first.
const snapshot = q.conversationId ? readSnapshot({ user: q.user, conversationId: q.conversationId, limit: q.rows }) : Promise.resolve(null);
const connecting = connect({ user: q.user, getToken: () => devToken(q.user), ...(workerUrl ? { workerUrl } : {}) });

let live = false;
/** Paint a full page: marks the first such frame, and which kind it was. */
const paintFull = (kind: 'snapshotPainted' | 'livePainted') => {
  const first = marks.painted === undefined && marks.firstResult === undefined;
  if (first) marks.firstResult = performance.now();
  void nextFrame().then((t) => {
    marks[kind] ??= t;
    if (first) marks.painted = t;
  });
};
void snapshot.then((s) => {
  if (!s || live || s.messages.length < q.rows) return;
  renderRows(s.messages.map(row));
  marks.rows = s.messages.length;
  paintFull('snapshotPainted');
});

const client = await connecting;
marks.opened = performance.now();

let viewReady: Promise<void> = Promise.resolve();
if (q.conversationId) {
  const cid = q.conversationId;
  viewReady = new Promise<void>((resolve) => {
    client.watchMessages(
      cid,
      (messages) => {
        for (const m of messages) log.see(textOf(m), 'view');
        live = true;
        renderRows(messages.map(row));
        resolve();
        shownNow = messages;
        if (messages.length < q.rows) pageOlder(cid);
        if (marks.livePainted !== undefined || messages.length < q.rows) return;
        marks.rows = messages.length;
        paintFull('livePainted');
      },
      { limit: q.rows },
    );
  });
  client.on('receive', (e) => {
    if (e.event.kind === 'message' && e.event.message.conversationId === cid) log.see(String((e.event.message.content as { text?: string }).text ?? ''), 'receive');
  });
}

/**
 * A new profile starts at the head: it holds each conversation's latest page only. A page asking
 * for more rows pages older history in, as a user scrolling up would (one paging at a time; each
 * page stored updates the watched view, which asks again until it holds `rows`).
 */
let paging = false;
let shownNow: LocalMessage[] = [];
function pageOlder(cid: string): void {
  const oldest = shownNow.find((m) => m.seq !== null)?.seq ?? null;
  if (paging || oldest === null || oldest <= 1) return;
  paging = true;
  void client.loadOlder(cid, oldest, q.rows - shownNow.length).then(
    (page) => {
      paging = false;
      // The view may have changed while this page was stored: ask again while it holds too few and
      // the server still had older ones.
      if (page.length > 0 && shownNow.length < q.rows) pageOlder(cid);
    },
    () => {
      paging = false;
    },
  );
}

const online = new Promise<void>((resolve) => {
  if (client.state.status === 'online') return resolve();
  const off = client.on('state', ({ state }) => {
    if (state.status === 'online') (off(), resolve());
  });
});

const bench: BenchTab = {
  ready: Promise.all([online, viewReady]).then(() => {}),
  marks,
  record: (run) => log.start(run),
  arrivals: () => log.list,
};
Object.assign(window, { bench, client });
