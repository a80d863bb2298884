/**
 * Live query results travel as patches: the engine diffs a query's new result against the one its
 * subscribers hold and sends only new, changed and removed rows (and the new order when it is not
 * the obvious one). Both sides run the same {@link applyPatch}, so the engine knows exactly what a
 * subscriber will hold; {@link diffRows} checks it before leaving `order` out.
 */
import type { LivePatch, LocalConversation, LocalMessage } from '../worker/protocol';

type Row = LocalMessage | LocalConversation;

/** A message is its sender's id plus its UUID (ids are unique per sender); a conversation, its id. */
export function rowKey(row: Row): string {
  return 'senderId' in row ? `${row.senderId}\u0000${row.id}` : row.id;
}

/**
 * `before` with `patch` applied: removed rows leave, upserted rows take the place of the row with
 * their key or are appended in patch order, then `order` (all keys) rearranges. Rows the patch does
 * not name stay the same objects, so a view can skip re-rendering them.
 */
export function applyPatch<R extends Row>(before: readonly R[], patch: LivePatch): R[] {
  const removed = new Set(patch.remove);
  const upserts = new Map(patch.upsert.map((r) => [rowKey(r), r as R]));
  const out: R[] = [];
  for (const row of before) {
    const key = rowKey(row);
    if (removed.has(key)) continue;
    const replaced = upserts.get(key);
    if (replaced) upserts.delete(key);
    out.push(replaced ?? row);
  }
  out.push(...upserts.values());
  if (!patch.order) return out;
  const byKey = new Map(out.map((r) => [rowKey(r), r]));
  return patch.order.map((k) => byKey.get(k)).filter((r): r is R => r !== undefined);
}

/** The patch that turns `before` into `after`, or null when they are the same. */
export function diffRows<R extends Row>(before: readonly R[], after: readonly R[]): LivePatch | null {
  const previous = new Map(before.map((r) => [rowKey(r), r]));
  const afterKeys = new Set<string>();
  const upsert: R[] = [];
  for (const row of after) {
    const key = rowKey(row);
    afterKeys.add(key);
    const old = previous.get(key);
    if (!old || !sameRow(old, row)) upsert.push(row);
  }
  const remove = [...previous.keys()].filter((k) => !afterKeys.has(k));
  const patch: LivePatch = { upsert, remove };
  const applied = applyPatch(before, patch);
  if (!sameOrder(applied, after)) patch.order = after.map(rowKey);
  return upsert.length === 0 && remove.length === 0 && !patch.order ? null : patch;
}

function sameOrder(a: readonly Row[], b: readonly Row[]): boolean {
  return a.length === b.length && a.every((r, i) => rowKey(r) === rowKey(b[i]!));
}

/** Rows are plain JSON built by one function per kind, so their serialisations compare exactly. */
function sameRow(a: Row, b: Row): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
