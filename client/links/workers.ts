/**
 * Starting the client's workers. Each default is written out as
 * `new SharedWorker(new URL('./parley-worker.js', import.meta.url), { type: 'module', … })` on
 * purpose: that exact shape is what Vite and webpack 5 recognise in a package to bundle the worker
 * script (and, through the same shape inside it, the wasm) into the shop's own build, same-origin
 * with its pages, with no copy step. An explicit URL (a CDN, a hand-served copy) skips the bundler.
 * The scripts are ES modules (module workers: Chromium 80+, Firefox 114+, Safari 15+).
 */

/**
 * An explicit worker URL, with where its .wasm files are when they are not beside it: carried in
 * the URL's fragment, which the worker reads as its script starts (before any tab has attached).
 * Every tab must pass the same, as the URL is part of the SharedWorker's identity.
 */
export function explicitWorkerUrl(url: string, wasmBaseUrl: string | undefined): string {
  if (wasmBaseUrl === undefined) return url;
  const u = new URL(url, location.href);
  u.hash = new URLSearchParams({ wasm: new URL(wasmBaseUrl, location.href).href }).toString();
  return u.href;
}

/** The engine's worker; an encrypted engine's is parley-worker-encrypted.js, with the cipher builds. */
export function startSharedWorker(url: string | undefined, name: string, encrypted: boolean): SharedWorker {
  if (url !== undefined) return new SharedWorker(url, { type: 'module', name });
  if (encrypted) return new SharedWorker(new URL('./parley-worker-encrypted.js', import.meta.url), { type: 'module', name });
  return new SharedWorker(new URL('./parley-worker.js', import.meta.url), { type: 'module', name });
}

/** The engine in a dedicated worker, where SharedWorker is missing (the leader tab runs it). */
export function startEngineWorker(url: string | undefined, name: string, encrypted: boolean): Worker {
  if (url !== undefined) return new Worker(url, { type: 'module', name });
  if (encrypted) return new Worker(new URL('./parley-worker-encrypted.js', import.meta.url), { type: 'module', name });
  return new Worker(new URL('./parley-worker.js', import.meta.url), { type: 'module', name });
}

/** Pictures are resized off the main thread here. */
export function startImageWorker(url: string | undefined): Worker {
  if (url !== undefined) return new Worker(url, { type: 'module', name: 'parley-image' });
  return new Worker(new URL('./parley-image-worker.js', import.meta.url), { type: 'module', name: 'parley-image' });
}
