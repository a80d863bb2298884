/**
 * A bounded walk over a JSON-like value. Every walk over untrusted input goes through here, so none
 * can be made to run long: depth and node count are both capped, and the walk is iterative (no
 * call-stack limit to hit). A value that shares objects (a DAG) is counted per visit, so a graph
 * built to expand exponentially is cut off at the node budget instead of being walked.
 */
export interface WalkLimits {
  /** Deepest nesting allowed below the root (the root is depth 0). */
  maxDepth: number;
  /** Most values visited, the root included. */
  maxNodes: number;
}

/** Why a walk stopped early, or 'done' when it saw everything. */
export type WalkEnd = 'done' | 'too_deep' | 'too_many_nodes' | 'refused';

/**
 * Visit `root` and everything below it, depth first. `visit` gets each value with the key it was
 * found under (undefined for the root) and returns false to stop the walk ('refused').
 */
export function walkJson(root: unknown, limits: WalkLimits, visit: (value: unknown, key: string | undefined) => boolean): WalkEnd {
  const stack: { value: unknown; key: string | undefined; depth: number }[] = [{ value: root, key: undefined, depth: 0 }];
  let nodes = 0;
  while (stack.length > 0) {
    const { value, key, depth } = stack.pop()!;
    if (++nodes > limits.maxNodes) return 'too_many_nodes';
    if (depth > limits.maxDepth) return 'too_deep';
    if (!visit(value, key)) return 'refused';
    if (typeof value !== 'object' || value === null) continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], key: String(i), depth: depth + 1 });
    } else {
      for (const k of Object.keys(value)) stack.push({ value: (value as Record<string, unknown>)[k], key: k, depth: depth + 1 });
    }
  }
  return 'done';
}
