/**
 * The worker's name is `parley@<version>:<user>`, or `parley@<version>+encrypted:<user>` for an
 * engine whose database is encrypted (client/connect.ts): one engine per user and build. The worker
 * reads its user from it, so it can start opening that user's database as its script runs, before
 * the first tab's attach arrives; an encrypted one waits for the key the attach brings.
 */
export function workerNameOf(version: string, user: string, encrypted = false): string {
  return `parley@${version}${encrypted ? ENCRYPTED : ''}:${user}`;
}

const ENCRYPTED = '+encrypted';

/** The user in a worker name and whether it is encrypted, or null if the name is not one of ours. */
export function parseWorkerName(name: string | undefined): { user: string; encrypted: boolean } | null {
  if (!name?.startsWith('parley@')) return null;
  const colon = name.indexOf(':');
  if (colon < 0) return null;
  return { user: name.slice(colon + 1), encrypted: name.slice(0, colon).endsWith(ENCRYPTED) };
}
