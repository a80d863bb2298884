/**
 * A client watch (watchMessages, watchConversations) as an external store: `subscribe` starts the
 * watch and returns its stop, `get` the latest result (the same array until the next one, so a
 * framework can compare snapshots by identity). Undefined until the first result.
 */
export interface WatchStore<T> {
  subscribe(onChange: () => void): () => void;
  get(): T | undefined;
}

export function watchStore<T>(start: (deliver: (value: T) => void) => () => void): WatchStore<T> {
  let value: T | undefined;
  return {
    subscribe(onChange) {
      return start((next) => {
        value = next;
        onChange();
      });
    },
    get: () => value,
  };
}
