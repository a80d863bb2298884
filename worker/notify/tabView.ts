/**
 * How often a tab reports its view to the engine, and how long the engine trusts one it has not
 * heard from since: both sides agree on these (a tab of a browser without SharedWorker closes
 * without the engine seeing it go, so its view must expire).
 */
export const VIEW_REFRESH_MS = 20_000;
export const VIEW_TTL_MS = 3 * VIEW_REFRESH_MS;
