/**
 * A storefront tab running the per-tab SDK baseline (bench/baselines/perTabSdk.ts): its own socket,
 * its own device id, the origin's IndexedDB. Same query and `window.bench` as tabs.page.ts, so the
 * suites drive both alike: it paints the conversation's latest rows from IndexedDB at once, and on
 * every pushed message reads the latest page again and renders it.
 */
import { PerTabSdk, type StoredMessage } from '../baselines/perTabSdk';
import { ArrivalLog, devToken, nextFrame, pageQuery, renderRows, type BenchTab, type PaintMarks, type TextRow } from './tabsCommon';

const marks: PaintMarks = { start: performance.now() };
const q = pageQuery();
const log = new ArrivalLog();
const row = (m: StoredMessage): TextRow => ({ id: m.id, sender: m.senderId ?? '', text: m.text, seq: m.seq });

const sdk = await PerTabSdk.open({
  wsUrl: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`,
  token: () => devToken(q.user),
  deviceId: `tab-${crypto.randomUUID()}`,
  dbName: `pertab-${q.user}`,
});
marks.opened = performance.now();

let viewReady: Promise<void> = Promise.resolve();
if (q.conversationId) {
  const cid = q.conversationId;
  let painted = false;
  const show = (messages: StoredMessage[]) => {
    for (const m of messages) log.see(m.text, 'view');
    renderRows(messages.map(row));
    if (painted || messages.length < q.rows) return;
    painted = true;
    marks.firstResult = performance.now();
    marks.rows = messages.length;
    void nextFrame().then((t) => (marks.painted = marks.livePainted = t));
  };
  viewReady = sdk.latest(cid, q.rows).then(show);
  sdk.onMessage((m) => {
    if (m.conversationId !== cid) return;
    log.see(m.text, 'receive');
    void sdk.latest(cid, q.rows).then(show);
  });
}

const bench: BenchTab = {
  ready: Promise.all([sdk.whenOnline(), viewReady]).then(() => {}),
  marks,
  record: (run) => log.start(run),
  arrivals: () => log.list,
};
Object.assign(window, { bench, sdk });
