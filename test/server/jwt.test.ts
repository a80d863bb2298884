/**
 * Session tokens as JWTs: public keys from a file or a JWKS URL (EdDSA, ES256), key rotation by
 * `kid`, `iss`/`aud`/`exp`/`nbf` with the clock tolerance, and what is refused (HS256 once public
 * keys are set, `alg: none`, a key of the wrong kind). Tokens are made with jose, as a shop's
 * backend would make them; the last test logs in to a real server with one.
 */
import fs from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../schema';
import { CLOCK_SKEW_S, signToken, TokenVerifier } from '../../server';
import { makeTempDir, startServer, TEST_SECRET } from '../support/server';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);
const nowS = Math.floor(NOW / 1000);
const claims = { sub: 'alice', role: 'customer' };

async function sign(key: CryptoKey, alg: string, body: Record<string, unknown> = {}, kid?: string): Promise<string> {
  return new SignJWT({ ...claims, ...body })
    .setProtectedHeader({ alg, ...(kid ? { kid } : {}) })
    .setExpirationTime(nowS + 600)
    .sign(key);
}

let dir: string;
let ed: CryptoKeyPair;
let ec: CryptoKeyPair;
let ec2: CryptoKeyPair;
beforeAll(async () => {
  dir = await makeTempDir();
  ed = await generateKeyPair('EdDSA', { crv: 'Ed25519', extractable: true });
  ec = await generateKeyPair('ES256', { extractable: true });
  ec2 = await generateKeyPair('ES256', { extractable: true });
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

const jwk = async (key: CryptoKey, kid: string, alg: string): Promise<JWK> => ({ ...(await exportJWK(key)), kid, alg, use: 'sig' });

describe('TokenVerifier with a PEM public key file', () => {
  let verifier: TokenVerifier;
  beforeAll(async () => {
    const file = path.join(dir, 'ed25519.pem');
    await fs.writeFile(file, await exportSPKI(ed.publicKey));
    verifier = new TokenVerifier(TEST_SECRET, { publicKeyFile: file, issuer: 'https://shop.example', audience: 'parley' });
  });
  const good = { iss: 'https://shop.example', aud: 'parley' };

  it('accepts an EdDSA token from the key holder and reads its claims', async () => {
    const verified = await verifier.verify(await sign(ed.privateKey, 'EdDSA', { ...good, name: 'Alice', extra: 'ignored' }), NOW);
    expect(verified).toEqual({ ok: true, expiresAt: (nowS + 600 + CLOCK_SKEW_S) * 1000, identity: { userId: 'alice', role: 'customer', shopId: null, displayName: 'Alice' } });
  });

  it("accepts the same key named by the fully specified algorithm 'Ed25519', again and again", async () => {
    for (let i = 0; i < 2; i++) expect((await verifier.verify(await sign(ed.privateKey, 'Ed25519', good), NOW)).ok).toBe(true);
  });

  it.each([
    ['another issuer', { ...good, iss: 'https://evil.example' }],
    ['another audience', { ...good, aud: 'someone-else' }],
    ['no issuer', { aud: 'parley' }],
    ['a merchant without a shop', { ...good, role: 'merchant' }],
    ['an unknown role', { ...good, role: 'admin' }],
  ])('refuses %s (TOKEN_INVALID)', async (_label, body) => {
    const verified = await verifier.verify(await sign(ed.privateKey, 'EdDSA', body), NOW);
    expect(verified).toMatchObject({ ok: false, code: ErrorCode.TOKEN_INVALID });
  });

  it('refuses an HS256 token signed with the server secret: with public keys set, the server cannot mint tokens', async () => {
    const token = signToken(TEST_SECRET, { sub: 'alice', role: 'customer', exp: nowS + 600, ...good });
    expect(await verifier.verify(token, NOW)).toMatchObject({ ok: false, code: ErrorCode.TOKEN_INVALID });
  });

  it("refuses alg 'none' and a token signed by another key", async () => {
    const body = Buffer.from(JSON.stringify({ ...claims, ...good, exp: nowS + 600 })).toString('base64url');
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${body}.`;
    expect(await verifier.verify(none, NOW)).toMatchObject({ ok: false, code: ErrorCode.TOKEN_INVALID });
    const other = await generateKeyPair('EdDSA', { crv: 'Ed25519' });
    expect(await verifier.verify(await sign(other.privateKey, 'EdDSA', good), NOW)).toMatchObject({ ok: false, code: ErrorCode.TOKEN_INVALID });
    // An ES256 token against an Ed25519 key file.
    expect(await verifier.verify(await sign(ec.privateKey, 'ES256', good), NOW)).toMatchObject({ ok: false, code: ErrorCode.TOKEN_INVALID });
  });

  it('checks exp and nbf with the clock tolerance: expired is TOKEN_EXPIRED, not yet valid is TOKEN_INVALID', async () => {
    const expiring = await sign(ed.privateKey, 'EdDSA', good); // exp = now + 600
    expect((await verifier.verify(expiring, NOW + (600 + CLOCK_SKEW_S - 1) * 1000)).ok).toBe(true);
    expect(await verifier.verify(expiring, NOW + (600 + CLOCK_SKEW_S + 1) * 1000)).toMatchObject({ ok: false, code: ErrorCode.TOKEN_EXPIRED });
    const later = await sign(ed.privateKey, 'EdDSA', { ...good, nbf: nowS + 120 });
    expect(await verifier.verify(later, NOW)).toMatchObject({ ok: false, code: ErrorCode.TOKEN_INVALID });
    expect((await verifier.verify(later, NOW + (120 - CLOCK_SKEW_S + 1) * 1000)).ok).toBe(true);
  });

  it('refuses a token without exp', async () => {
    const token = await new SignJWT({ ...claims, ...good }).setProtectedHeader({ alg: 'EdDSA' }).sign(ed.privateKey);
    expect(await verifier.verify(token, NOW)).toMatchObject({ ok: false, code: ErrorCode.TOKEN_INVALID });
  });
});

describe('key rotation', () => {
  it('a JWKS file: a new kid is picked up once the file changes, the old kid keeps working until removed', async () => {
    const file = path.join(dir, 'jwks.json');
    await fs.writeFile(file, JSON.stringify({ keys: [await jwk(ec.publicKey, 'k1', 'ES256')] }));
    let now = NOW;
    const verifier = new TokenVerifier(TEST_SECRET, { publicKeyFile: file }, { now: () => now });
    expect((await verifier.verify(await sign(ec.privateKey, 'ES256', {}, 'k1'), NOW)).ok).toBe(true);
    const next = await sign(ec2.privateKey, 'ES256', {}, 'k2');
    expect((await verifier.verify(next, NOW)).ok).toBe(false);

    await fs.writeFile(file, JSON.stringify({ keys: [await jwk(ec.publicKey, 'k1', 'ES256'), await jwk(ec2.publicKey, 'k2', 'ES256')] }));
    await fs.utimes(file, new Date(NOW + 60_000), new Date(NOW + 60_000)); // a new mtime even on a coarse clock
    now += 10_000; // past the re-read interval
    expect((await verifier.verify(next, NOW)).ok).toBe(true);
    expect((await verifier.verify(await sign(ec.privateKey, 'ES256', {}, 'k1'), NOW)).ok).toBe(true);
  });

  it('a JWKS URL: an unknown kid fetches the set again (after the cooldown), a down JWKS server fails the token, not the process', async () => {
    let keys: JWK[] = [await jwk(ed.publicKey, 'a', 'EdDSA')];
    let fetches = 0;
    let down = false;
    const jwksServer = http.createServer((_req, res) => {
      fetches += 1;
      if (down) return void res.writeHead(503).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys }));
    });
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/.well-known/jwks.json`;
      const verifier = new TokenVerifier(TEST_SECRET, { jwksUrl: url, jwksCooldownMs: 0 });
      expect((await verifier.verify(await sign(ed.privateKey, 'EdDSA', {}, 'a'), NOW)).ok).toBe(true);
      expect((await verifier.verify(await sign(ed.privateKey, 'EdDSA', {}, 'a'), NOW)).ok).toBe(true);
      expect(fetches).toBe(1); // cached

      keys = [...keys, await jwk(ec.publicKey, 'b', 'ES256')];
      expect((await verifier.verify(await sign(ec.privateKey, 'ES256', {}, 'b'), NOW)).ok).toBe(true);
      expect(fetches).toBe(2);

      down = true;
      const unknown = await verifier.verify(await sign(ec2.privateKey, 'ES256', {}, 'c'), NOW);
      expect(unknown).toMatchObject({ ok: false, code: ErrorCode.TOKEN_INVALID });
      expect((await verifier.verify(await sign(ed.privateKey, 'EdDSA', {}, 'a'), NOW)).ok).toBe(true); // known keys still work
    } finally {
      await new Promise<void>((resolve) => jwksServer.close(() => resolve()));
    }
  });
});

describe('settings', () => {
  it('refuses a key file with a key of another kind, and a file and a URL together', async () => {
    const rsa = path.join(dir, 'rsa.pem');
    const { publicKey } = await generateKeyPair('RS256', { extractable: true });
    await fs.writeFile(rsa, await exportSPKI(publicKey));
    expect(() => new TokenVerifier(TEST_SECRET, { publicKeyFile: rsa })).toThrow(/Ed25519 or P-256/);
    expect(() => new TokenVerifier(TEST_SECRET, { publicKeyFile: rsa, jwksUrl: 'https://x.example/jwks' })).toThrow(/not both/);
    expect(() => new TokenVerifier(TEST_SECRET, { publicKeyFile: path.join(dir, 'missing.pem') })).toThrow();
  });

  it('in dev mode, HS256 dev tokens are accepted beside the public keys', async () => {
    const file = path.join(dir, 'dev.pem');
    await fs.writeFile(file, await exportSPKI(ed.publicKey));
    const verifier = new TokenVerifier(TEST_SECRET, { publicKeyFile: file }, { allowHs256WithPublicKeys: true });
    expect((await verifier.verify(signToken(TEST_SECRET, { sub: 'alice', role: 'customer', exp: nowS + 600 }), NOW)).ok).toBe(true);
    expect((await verifier.verify(await sign(ed.privateKey, 'EdDSA'), NOW)).ok).toBe(true);
  });
});

describe('a server with a public key file', () => {
  it('logs in with an ES256 token from the shop backend and refuses its own HS256 kind', async () => {
    const file = path.join(dir, 'server.pem');
    await fs.writeFile(file, await exportSPKI(ec.publicKey));
    const srv = await startServer({ dataDir: await makeTempDir(), tokens: { publicKeyFile: file, audience: 'parley' } });
    try {
      const token = await new SignJWT({ role: 'merchant', shop: 'parley-shop', name: 'Agent' })
        .setProtectedHeader({ alg: 'ES256' })
        .setSubject('shop-agent')
        .setAudience('parley')
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(ec.privateKey);
      const ok = srv.connect({ token, deviceId: 'd1' });
      expect(await ok.authResult).toMatchObject({ t: 'auth_ok', userId: 'shop-agent' });
      const hs = srv.connect({ token: srv.token('alice'), deviceId: 'd2' });
      expect(await hs.authResult).toMatchObject({ t: 'auth_failed', code: ErrorCode.TOKEN_INVALID });
    } finally {
      await srv.stop();
    }
  });
});
