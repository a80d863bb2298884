/**
 * The worker's name is `parley@<version>:<user>` (client/connect.ts): one engine per user and
 * build. The worker reads its user from it, so it can start opening that user's database as its
 * script runs, before the first tab's attach arrives.
 */
export function workerNameOf(version: string, user: string): string {
  return `parley@${version}:${user}`;
}

/** The user in a worker name, or null if the name is not one of ours. */
export function userOfWorkerName(name: string | undefined): string | null {
  if (!name?.startsWith('parley@')) return null;
  const colon = name.indexOf(':');
  return colon < 0 ? null : name.slice(colon + 1);
}
