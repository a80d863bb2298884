/**
 * Where a browser's tabs show something other than what its database holds, once the run is
 * quiet: the first open tab's view of each conversation against the stored rows (the same
 * messages, at the same seqs, in the same states), and every other tab's view against the first's
 * (the same list, in the same order: a tab that missed an update, frozen or reattached, differs).
 */
import type { LocalMessage } from '../../../worker/store/types';
import type { DeviceRow } from '../checker';

export type ViewRow = Pick<LocalMessage, 'id' | 'senderId' | 'conversationId' | 'seq' | 'state'>;

/** Each tab's views by conversation; null for a tab that is closed. */
export type TabViews = Record<string, readonly ViewRow[]> | null;

const entry = (m: ViewRow | DeviceRow) => `${m.senderId}/${m.id}@${m.seq}:${m.state}`;
const list = (rows: readonly ViewRow[]) => rows.map(entry).join(',');
/** The view's order is checked live (history.ts); against the database only what is in it counts. */
const set = (rows: readonly (ViewRow | DeviceRow)[]) => rows.map(entry).sort().join(',');

export function viewDiffs(device: string, conversations: readonly string[], stored: readonly DeviceRow[], tabs: readonly TabViews[]): string[] {
  const diffs: string[] = [];
  const first = tabs.findIndex((t) => t !== null);
  if (first < 0) return [`no tab of ${device} is open`];
  const reference = tabs[first]!;
  for (const cid of conversations) {
    const rows = stored.filter((m) => m.conversationId === cid);
    const shown = reference[cid] ?? [];
    if (set(shown) !== set(rows)) diffs.push(`tab ${first} of ${device} shows ${shown.length} messages in ${cid}, the database holds ${rows.length}, or in other states`);
    for (const [i, views] of tabs.entries()) {
      if (i === first || !views) continue;
      if (list(views[cid] ?? []) !== list(shown)) {
        diffs.push(`tab ${i} of ${device} shows ${views[cid]?.length ?? 0} messages in ${cid}, tab ${first} ${shown.length}, or in other states`);
      }
    }
  }
  return diffs;
}
