/**
 * The prepared-statement cache, one per database, shared by the SqliteStore parts: each asks for its
 * statement by SQL text where it runs it, and a text asked for again (from any part) is prepared once.
 */
import type Database from 'better-sqlite3';

/** The statement for this SQL text, prepared on first use. */
export type Sql = (text: string) => Database.Statement;

/** Prepared once per SQL text: preparing costs more than most of these queries. */
export function statementCache(db: Database.Database): Sql {
  const statements = new Map<string, Database.Statement>();
  return (text) => {
    let stmt = statements.get(text);
    if (!stmt) {
      stmt = db.prepare(text);
      statements.set(text, stmt);
    }
    return stmt;
  };
}
