/**
 * What the Parley tab page (tabs.page.ts) and the per-tab SDK page (perTab.page.ts) share, so the
 * two differ only in how messages reach them: the clock that fan-out latencies are measured on,
 * the minimal renderer (50 rows into a list, no UI kit: the benchmarks measure the engines), and
 * the page's window API the suites drive.
 */

/**
 * Offset of `performance.timeOrigin + performance.now()` from the system clock (`Date.now()`), in
 * ms, found at the instants Date.now() ticks. Subtracting it puts Node and every page on one
 * sub-millisecond clock, so a timestamp sent by Node can be compared with an arrival time in a page.
 * Spins for about `edges` ms. Works in Node and in browsers (where performance.now() is coarsened
 * to 100 µs unless cross-origin isolated; the median over edges absorbs that).
 */
export function clockOffset(edges = 15): number {
  const offsets: number[] = [];
  for (let i = 0; i < edges; i++) {
    const start = Date.now();
    let hr = 0;
    let wall = start;
    while (wall === start) {
      hr = performance.timeOrigin + performance.now();
      wall = Date.now();
    }
    offsets.push(hr - wall);
  }
  offsets.sort((a, b) => a - b);
  return offsets[offsets.length >> 1]!;
}

/** Fan-out messages carry their send time: `fanout:<run>:<n>:<sentAt>` (sentAt on the shared clock, ms). */
export const fanoutText = (run: number, n: number, sentAt: number): string => `fanout:${run}:${n}:${sentAt.toFixed(3)}`;

export function parseFanout(text: string): { run: number; n: number; sentAt: number } | null {
  const m = /^fanout:(-?\d+):(\d+):([\d.]+)$/.exec(text);
  return m ? { run: Number(m[1]), n: Number(m[2]), sentAt: Number(m[3]) } : null;
}

/** A fan-out arrival as a page saw it: which message, through which path, and how late (ms). */
export interface Arrival {
  n: number;
  /** 'receive': Parley's receive event / the SDK's onMessage. 'view': the latest page a UI renders. */
  path: 'receive' | 'view';
  latencyMs: number;
}

/** Where a page is in painting the latest page, in ms since navigation start (performance.now()). */
export interface PaintMarks {
  /** The page's module started. */
  start?: number;
  /** Parley: the client bundle imported. */
  imported?: number;
  /** Parley: connect() resolved (engine attached, database open). The SDK: its database is open. */
  opened?: number;
  /** The first page of messages arrived. */
  firstResult?: number;
  /** The frame after the rows were inserted (requestAnimationFrame): the first full page, snapshot or live. */
  painted?: number;
  /** Parley: the frame after the snapshot's rows were inserted (none when there was no snapshot, or the live result came first). */
  snapshotPainted?: number;
  /** The frame after the first full live result was inserted (for the SDK, the same as painted). */
  livePainted?: number;
  /** How many rows were painted. */
  rows?: number;
}

/** What a bench tab page exposes as `window.bench`. */
export interface BenchTab {
  /** Resolves when the page's connection is online and its conversation view is live. */
  ready: Promise<void>;
  marks: PaintMarks;
  /** Start recording fan-out arrivals of run `run` (calibrates the clock first). */
  record(run: number): void;
  arrivals(): Arrival[];
}

export interface TextRow {
  id: string;
  sender: string;
  text: string;
  seq: number | null;
}

/** Render rows into `#messages` (replacing what is there), as a minimal chat view would. */
export function renderRows(rows: readonly TextRow[]): void {
  const list = document.getElementById('messages')!;
  const frag = document.createDocumentFragment();
  for (const r of rows) {
    const li = document.createElement('li');
    li.dataset.id = r.id;
    const who = document.createElement('b');
    who.textContent = r.sender;
    const text = document.createElement('span');
    text.textContent = ` ${r.text}`;
    li.append(who, text);
    frag.append(li);
  }
  list.replaceChildren(frag);
}

/** performance.now() in the next animation frame: the frame that shows what was just inserted. */
export const nextFrame = (): Promise<number> => new Promise((resolve) => requestAnimationFrame(() => resolve(performance.now())));

export interface PageQuery {
  user: string;
  /** The conversation to show and watch; none for a tab that only connects. */
  conversationId: string | null;
  /** Rows to paint (the latest page). */
  rows: number;
}

export function pageQuery(): PageQuery {
  const q = new URLSearchParams(location.search);
  return { user: q.get('as') ?? 'alice', conversationId: q.get('cid'), rows: Number(q.get('rows') ?? 50) };
}

export async function devToken(user: string): Promise<string> {
  const r = await fetch(`/dev/token?user=${encodeURIComponent(user)}`);
  return ((await r.json()) as { token: string }).token;
}

/**
 * Fan-out bookkeeping shared by both pages: `see(text, path)` records the first arrival of each
 * message of the current run on each path.
 */
export class ArrivalLog {
  private run: number | null = null;
  private offset = 0;
  private readonly seen = new Set<string>();
  readonly list: Arrival[] = [];

  start(run: number): void {
    this.offset = clockOffset();
    this.run = run;
    this.seen.clear();
    this.list.length = 0;
  }

  see(text: string, path: Arrival['path']): void {
    if (this.run === null) return;
    const at = performance.timeOrigin + performance.now() - this.offset;
    const f = parseFanout(text);
    if (!f || f.run !== this.run) return;
    const key = `${path}:${f.n}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ n: f.n, path, latencyMs: at - f.sentAt });
  }
}
