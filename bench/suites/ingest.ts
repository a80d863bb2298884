/**
 * Catch-up ingest: received messages stored through LocalStore.storeMessages in pages of 200 as the
 * engine's gap fill stores them when pages come faster than they are stored (CatchUpWriter: each
 * store takes every page fetched meanwhile, at most MAX_PAGES_AHEAD; the network is not timed here), and, for
 * a network slower than the disk, each page alone, awaited before the next; on what we ship (wa-sqlite JSPI, SafeIDBBatchAtomicVFS committing each transaction's
 * pages in one IndexedDB transaction, the real schema: unique indexes, the search text derived from
 * content and the FTS trigram trigger). Timed inside a SharedWorker in headless Chromium. Baseline:
 * one transaction per message.
 */
import { repeat } from '../lib/stats';
import type { BenchEnv, Benchmark, Figure } from '../lib/types';
import type { IngestResult } from '../browser/store.worker';
import { breakdownNotes, freshNames, medianProfile, variant, withStorePage } from './storePage';
import { rateFigure } from '../lib/figures';
import { MAX_PAGES_AHEAD } from '../../worker/sync/CatchUpWriter';

const PAGE = 200;
const CONTENT_BYTES = 500;

function checked(r: IngestResult, n: number, what: string): IngestResult {
  if (r.stored !== n || r.indexed !== n || r.contiguous !== n) {
    throw new Error(`${what}: stored ${r.stored}, indexed ${r.indexed}, contiguous to ${r.contiguous}, of ${n}`);
  }
  return r;
}

export const catchUpIngest: Benchmark = {
  id: 'ingest',
  title: 'Catch-up ingest of received messages (LocalStore.storeMessages)',
  async run(env: BenchEnv) {
    const n = env.size(10_000, 400);
    // One durable transaction per message costs the same per message at any count: fewer say it.
    const nSingle = env.size(200, 10);
    const nProfile = env.size(5000, 400);
    return withStorePage(env, async (call) => {
      const name = freshNames('ingest');
      let bytes = 0;
      const ingest = (count: number, page: number, mode: 'pages' | 'pipelined' | 'catch-up') =>
        variant(env, `${count} messages in pages of ${page}, ${mode}`, () =>
          repeat(env, async () => {
            await call('clearAll', undefined as never);
            const r = await call('ingest', { name: name(), n: count, page, contentBytes: CONTENT_BYTES, mode });
            checked(r, count, `${count} in pages of ${page}, ${mode}`);
            if (count === n) bytes = r.bytes;
            return (count / r.wallMs) * 1000;
          }),
        );
      const catchUp = await ingest(n, PAGE, 'catch-up');
      const paged = await ingest(n, PAGE, 'pages');
      const pipelined = await ingest(n, PAGE, 'pipelined');
      const single = await ingest(nSingle, 1, 'pages');
      const profile = await variant(env, 'profile', () =>
        medianProfile(env.quick ? 1 : 3, 'catch-up wall ms', async () => {
          await call('clearAll', undefined as never);
          return call('profileIngest', { name: name(), n: nProfile, page: PAGE, contentBytes: CONTENT_BYTES, mode: 'catch-up' });
        }),
      );
      await call('clearAll', undefined as never);

      return {
        figures: [
          rateFigure('rate', `${n} messages (~${CONTENT_BYTES} B) in pages of ${PAGE}, stored as the engine's catch-up does (the pages fetched meanwhile together, ≤ ${MAX_PAGES_AHEAD})`, 'parley', catchUp, {
            target: { op: '>=', value: 10_000 },
            vs: 'per-message',
          }),
          rateFigure('paged', `the same ${n}, each page stored alone and awaited (a network slower than the disk)`, 'parley', paged),
          rateFigure('pipelined', `the same ${n}, all pages submitted at once (group commit merges them)`, 'parley', pipelined),
          rateFigure('per-message', `one transaction per message (${nSingle} messages)`, 'baseline', single),
        ],
        notes: [
          'Timed inside a SharedWorker in headless Chromium. Each run: a new database (every IndexedDB database of the origin ' +
            `deleted first), the statements warmed on another conversation, then one conversation's seq 1..${n}, every 4th message ` +
            `the user's own; checked after each run: all stored, all in the full-text index, contiguous to ${n}. ` +
            `The database ends at ${(bytes / 1048576).toFixed(1)} MB.`,
          ...breakdownNotes(`profile of a catch-up of ${nProfile} (median of ${env.quick ? 1 : 3})`, profile, nProfile, 'message'),
        ],
      };
    });
  },
};
