/**
 * Where a token's public key comes from. Both sources rotate keys without a restart: the shop
 * publishes the next key beside the current one (a JWKS with two `kid`s), starts signing with it,
 * and drops the old one once the last token signed with it has expired.
 */
import { createPublicKey } from 'node:crypto';
import fs from 'node:fs';
import { createLocalJWKSet, createRemoteJWKSet, importSPKI, type CryptoKey, type JSONWebKeySet, type JWSHeaderParameters } from 'jose';

export interface KeySet {
  /** The key for a token with this header; rejects when there is none. */
  get(header: JWSHeaderParameters): Promise<CryptoKey>;
}

/** A file is read again, for a `kid` it lacks, at most this often. */
const FILE_RECHECK_MS = 5_000;

type Loaded =
  | { kind: 'jwks'; get: ReturnType<typeof createLocalJWKSet> }
  /** One key; `accepts` the algorithm names a token may give it (Ed25519 goes by EdDSA or Ed25519). */
  | { kind: 'pem'; accepts: readonly string[]; keyFor: (alg: string) => Promise<CryptoKey> };

function load(file: string): Loaded {
  const text = fs.readFileSync(file, 'utf8').trim();
  if (text.startsWith('{')) {
    const jwks = JSON.parse(text) as JSONWebKeySet;
    if (!Array.isArray(jwks.keys) || jwks.keys.length === 0) throw new Error(`tokens: ${file} is JSON but not a JWKS with keys`);
    return { kind: 'jwks', get: createLocalJWKSet(jwks) };
  }
  const key = createPublicKey(text);
  const type = key.asymmetricKeyType;
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const accepts = type === 'ed25519' ? ['EdDSA', 'Ed25519'] : type === 'ec' && curve === 'prime256v1' ? ['ES256'] : null;
  if (!accepts) throw new Error(`tokens: ${file} holds a ${type}${curve ? ` (${curve})` : ''} key; Ed25519 or P-256 (ES256) is needed`);
  const pem = key.export({ type: 'spki', format: 'pem' }).toString();
  // Imported once per algorithm name, not at every token.
  const imported = new Map<string, Promise<CryptoKey>>();
  const keyFor = (alg: string): Promise<CryptoKey> => {
    let k = imported.get(alg);
    if (!k) imported.set(alg, (k = importSPKI(pem, alg)));
    return k;
  };
  keyFor(accepts[0]!).catch(() => {}); // imported now; a failure is reported where it is awaited
  return { kind: 'pem', accepts, keyFor };
}

/**
 * A PEM public key (SPKI: Ed25519 or P-256) or a JWKS file. Read at once, so a missing or broken
 * file stops the start; read again when a token names a `kid` the file lacks, if it changed.
 */
export function fileKeySet(file: string, now: () => number = Date.now): KeySet {
  let loaded = load(file);
  let mtime = fs.statSync(file).mtimeMs;
  let checkedAt = now();
  const reloadIfChanged = (): boolean => {
    if (now() - checkedAt < FILE_RECHECK_MS) return false;
    checkedAt = now();
    const m = fs.statSync(file).mtimeMs;
    if (m === mtime) return false;
    loaded = load(file);
    mtime = m;
    return true;
  };
  const fromLoaded = async (header: JWSHeaderParameters): Promise<CryptoKey> => {
    const current = loaded;
    if (current.kind === 'jwks') return current.get(header);
    if (header.alg !== undefined && current.accepts.includes(header.alg)) return current.keyFor(header.alg);
    throw Object.assign(new Error(`the key file holds an ${current.accepts.join('/')} key, the token is ${header.alg}`), { code: 'ERR_JWKS_NO_MATCHING_KEY' });
  };
  return {
    async get(header) {
      try {
        return await fromLoaded(header);
      } catch (err) {
        if ((err as { code?: string }).code !== 'ERR_JWKS_NO_MATCHING_KEY' || !reloadIfChanged()) throw err;
        return fromLoaded(header);
      }
    },
  };
}

/**
 * A JWKS URL. jose caches it (10 minutes), fetches it again for an unknown `kid` (at most every
 * `cooldownMs`), and gives up on a fetch after 5 s: a token then fails as invalid, and the client retries.
 */
export function remoteKeySet(url: string, cooldownMs = 30_000): KeySet {
  const jwks = createRemoteJWKSet(new URL(url), { timeoutDuration: 5_000, cooldownDuration: cooldownMs, cacheMaxAge: 10 * 60_000 });
  return { get: (header) => jwks(header) };
}
