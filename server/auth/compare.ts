/** Constant-time comparison of secrets, whatever their lengths. */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Whether two strings are equal, in time that does not depend on where they differ. */
export function sameSecret(a: string, b: string): boolean {
  // Hashing first gives equal lengths, so the comparison itself leaks nothing about b's length.
  const digest = (s: string) => createHash('sha256').update(s).digest();
  return timingSafeEqual(digest(a), digest(b));
}
