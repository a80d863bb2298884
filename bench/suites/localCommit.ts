/**
 * Durable local commit of sent messages: LocalStore.enqueue (the message row and its outbox row in
 * one transaction, what send() does before any network I/O) on what we ship, wa-sqlite JSPI with
 * SafeIDBBatchAtomicVFS (each SQLite transaction's pages committed in one strict IndexedDB
 * transaction) behind GroupCommit, timed inside a SharedWorker in headless Chromium. A burst of
 * sends is submitted at once; group commit lets it share transactions. The bar is the
 * ratio to `idb` (one readwrite transaction per send) in the same run: at least 1.0×.
 *
 * Baselines in the same run: the same sends awaited one by one (one durable transaction each), the
 * other VFS and build, and the obvious storefront way: IndexedDB through `idb`, one readwrite
 * transaction per message (bench/baselines/idbStore.ts).
 */
import { percentile, repeat } from '../lib/stats';
import type { BenchEnv, Benchmark, Figure } from '../lib/types';
import { breakdownNotes, freshNames, medianProfile, variant, withStorePage } from './storePage';
import { msFigure } from '../lib/figures';

/** A chat line: ~200 bytes of mixed Chinese and Latin text. */
const TEXT_BYTES = 200;

interface Burst {
  wallMs: number;
  latencies: number[];
  stored: number;
}

function checked<T extends Burst>(r: T, n: number, what: string): T {
  if (r.stored !== n || r.latencies.length !== n) throw new Error(`${what}: ${r.stored} of ${n} sends stored`);
  return r;
}

export const localCommit: Benchmark = {
  id: 'local-commit',
  title: 'Durable local commit of a sent message (LocalStore.enqueue)',
  async run(env: BenchEnv) {
    const n = env.size(500, 20);
    // One durable transaction per send costs the same per send at any count: fewer say it.
    const nSerial = env.size(100, 5);
    return withStorePage(env, async (call) => {
      const name = freshNames('commit');
      const store = (vfs: 'idb-batch-atomic' | 'idb-mirror', build: 'jspi' | 'asyncify', mode: 'burst' | 'serial', count: number) =>
        variant(env, `${vfs}/${build}, ${mode} of ${count}`, () =>
          repeat(env, async () => {
            await call('clearAll', undefined as never);
            const r = await call('localCommit', { name: name(), vfs, build, n: count, mode, textBytes: TEXT_BYTES });
            return checked(r, count, `${vfs}/${build} ${mode}`);
          }),
        );
      const idb = (count: number, durability: IDBTransactionDurability) =>
        variant(env, `idb (${durability}), burst of ${count}`, () =>
          repeat(env, async () => {
            await call('clearAll', undefined as never);
            return checked(await call('idbCommit', { name: name(), n: count, mode: 'burst', textBytes: TEXT_BYTES, durability }), count, 'idb');
          }),
        );

      const shipped = await store('idb-batch-atomic', 'jspi', 'burst', n);
      const serial = await store('idb-batch-atomic', 'jspi', 'serial', nSerial);
      const mirror = await store('idb-mirror', 'jspi', 'burst', n);
      // The Asyncify build's 2.3 MB wasm compiles for seconds: measured in full runs only.
      const asyncify = env.quick ? null : await store('idb-batch-atomic', 'asyncify', 'burst', n);
      const idbDefault = await idb(n, 'default');
      const idbStrict = await idb(n, 'strict');
      const profile = await variant(env, 'profile', () =>
        medianProfile(env.quick ? 1 : 3, 'burst wall ms', async () => {
          await call('clearAll', undefined as never);
          return call('profileCommit', { name: name(), vfs: 'idb-batch-atomic', build: 'jspi', n, mode: 'burst', textBytes: TEXT_BYTES });
        }),
      );
      await call('clearAll', undefined as never);

      const per = (rs: Burst[], count: number) => rs.map((r) => r.wallMs / count);
      const p = (rs: Burst[], q: number) => rs.map((r) => percentile(r.latencies, q));
      const figures: Figure[] = [
        msFigure('amortised', `burst of ${n} sends: wall time / ${n}`, 'parley', per(shipped, n), { target: { op: '<=', value: 0.5 }, vs: 'idb-amortised' }),
        msFigure('amortised-vs-unbatched', `the same, against one durable transaction per send`, 'parley', per(shipped, n), { vs: 'unbatched-amortised' }),
        msFigure('latency-p50', `burst of ${n}: submit → durable, p50`, 'parley', p(shipped, 50), { vs: 'idb-p50' }),
        msFigure('latency-p95', `burst of ${n}: submit → durable, p95`, 'parley', p(shipped, 95), { vs: 'idb-p95' }),
        msFigure('unbatched-amortised', `${nSerial} sends awaited one by one: ms per send`, 'baseline', per(serial, nSerial)),
        msFigure('unbatched-p50', `one send alone: submit → durable, p50`, 'baseline', p(serial, 50)),
        msFigure('unbatched-p95', `one send alone: submit → durable, p95`, 'baseline', p(serial, 95)),
        msFigure('mirror-amortised', `IDBMirrorVFS (JSPI), burst of ${n}: ms per send`, 'baseline', per(mirror, n)),
        msFigure('mirror-p95', `IDBMirrorVFS (JSPI), burst of ${n}: submit → durable, p95`, 'baseline', p(mirror, 95)),
        ...(asyncify ? [msFigure('asyncify-amortised', `IDBBatchAtomic, Asyncify build, burst of ${n}: ms per send`, 'baseline', per(asyncify, n))] : []),
        msFigure('idb-amortised', `idb, one transaction per send, burst of ${n}: ms per send`, 'baseline', per(idbDefault, n)),
        msFigure('idb-p50', `idb, burst of ${n}: submit → complete, p50`, 'baseline', p(idbDefault, 50)),
        msFigure('idb-p95', `idb, burst of ${n}: submit → complete, p95`, 'baseline', p(idbDefault, 95)),
        msFigure('idb-strict-amortised', `idb with durability 'strict', burst of ${n}: ms per send`, 'baseline', per(idbStrict, n)),
      ];
      return {
        figures,
        notes: [
          'Timed inside a SharedWorker in headless Chromium. Each run: a new database (every IndexedDB database of the origin ' +
            `deleted first), 3 sends to warm the statements, then the ${n} sends (${TEXT_BYTES}-byte texts over 10 conversations) ` +
            'submitted at once; all are checked stored.',
          "Under a burst every send resolves when the transaction carrying it commits, so its latency is of the order of the burst's " +
            'wall time; the targets (p50 <= 0.5 ms, p95 <= 2 ms) are read as the amortised cost per send.',
          "idb uses IndexedDB's default durability, which Chromium treats as relaxed (no fsync); our COMMIT waits for a 'strict' " +
            'IndexedDB commit, as idb-strict does.',
          ...breakdownNotes(`profile of a burst of ${n} (median of ${env.quick ? 1 : 3})`, profile, n, 'send'),
        ],
      };
    });
  },
};
