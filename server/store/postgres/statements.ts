/**
 * Statements sent by name, so each connection has PostgreSQL parse and plan a statement once and
 * then only binds and runs it: without a name (node-postgres's default) every call is parsed and
 * planned again, which was most of PostgreSQL's CPU for a send. The name is a hash of the text;
 * every statement here has a fixed text (parameters, never values, vary), so a connection holds a
 * bounded set of them.
 *
 * A prepared `SELECT *` fails with "cached plan must not change result type" once a migration adds
 * a column under a running node (a rolling deploy): that statement is then sent unnamed from there
 * on, and the failed call's caller retries as after any error.
 */
import { createHash } from 'node:crypto';
import type { QueryConfig } from 'pg';

/** text → its name, or null once it must go unnamed. */
const names = new Map<string, string | null>();

/** The query config for `text` with `values`: named unless that broke for this text. */
export function statement(text: string, values?: readonly unknown[]): QueryConfig {
  let name = names.get(text);
  if (name === undefined) {
    name = `parley_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name === null ? { text, values: values as unknown[] } : { name, text, values: values as unknown[] };
}

/** Call with a failed statement's error: a plan the schema changed under is not used by name again. */
export function noteFailure(text: string, err: unknown): void {
  const e = err as { code?: string; message?: string } | null;
  if (e?.code === '0A000' && /cached plan must not change result type/.test(e.message ?? '')) names.set(text, null);
}
