/** Plain HTTP endpoints: health, metrics, the dev token endpoint and the test hooks. */
import { createHmac } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode } from '../../schema';
import { sameSecret } from '../auth/compare';
import { signToken } from '../auth/tokens';
import { isLoopback } from '../limits/Limits';
import type { MetricsAccess, ServerConfig } from '../config';
import type { ServerMetrics } from '../metrics';
import { DEMO_USERS } from '../seed';
import type { TestHooks } from '../testHooks';

export interface RouteDeps {
  config: ServerConfig;
  secret: string;
  metrics: ServerMetrics;
  hooks: TestHooks | null;
  startedAt: number;
  /** The sessions this node holds (test hooks only: a cluster's tests count them across nodes). */
  sessions(): { userId: string; deviceId: string; claim: number | null }[];
  /** Why the node should not take traffic now (its database or broker is unreachable, it is draining), or null. */
  unready(): Promise<string | null>;
}

/** Dev tokens live long enough for a demo session, not for a deployment. */
const DEV_TOKEN_TTL_S = 12 * 60 * 60;
const MAX_HOOK_BODY = 16 * 1024;

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

function readBody(req: IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Null when the caller may read /metrics; else the status to answer. */
export function metricsDenied(req: Pick<IncomingMessage, 'socket' | 'headers'>, access: MetricsAccess): 401 | 403 | null {
  if (access.kind === 'open') return null;
  if (access.kind === 'loopback') return isLoopback(req.socket.remoteAddress ?? '') ? null : 403;
  const given = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1];
  if (given === undefined) return 401;
  return sameSecret(given, access.token) ? null : 403;
}

/** Handles the request if it is one of ours; returns false to let the caller serve it. */
export async function handleRoute(req: IncomingMessage, res: ServerResponse, deps: RouteDeps): Promise<boolean> {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const { config, metrics } = deps;
  if (req.method === 'GET' && url.pathname === '/healthz') {
    // A load balancer takes a node out while this says 503, and back when it says 200.
    const reason = await deps.unready();
    if (reason) json(res, 503, { status: 'unready', reason, uptimeMs: config.now() - deps.startedAt });
    else json(res, 200, { status: 'ok', uptimeMs: config.now() - deps.startedAt });
    return true;
  }
  if (req.method === 'GET' && url.pathname === '/metrics') {
    const denied = metricsDenied(req, config.metricsAccess);
    if (denied) {
      json(res, denied, { code: denied === 401 ? ErrorCode.AUTH_REQUIRED : ErrorCode.FORBIDDEN, message: 'metrics are restricted' }, denied === 401 ? { 'www-authenticate': 'Bearer' } : {});
      return true;
    }
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4', 'cache-control': 'no-store' });
    res.end(metrics.registry.render());
    return true;
  }
  if (url.pathname === '/dev/token' && config.devTokens) {
    // Dev mode only: anyone can become a demo user.
    const user = DEMO_USERS.find((u) => u.userId === url.searchParams.get('user'));
    if (!user) {
      json(res, 404, { error: 'unknown demo user', users: DEMO_USERS.map((u) => u.userId) });
      return true;
    }
    const exp = Math.floor(config.now() / 1000) + DEV_TOKEN_TTL_S;
    const token = signToken(deps.secret, {
      sub: user.userId,
      role: user.role,
      exp,
      iat: Math.floor(config.now() / 1000),
      name: user.displayName,
      ...(user.shopId ? { shop: user.shopId } : {}),
      // A dev token is an HS256 JWT verified like any other, so it carries what the server requires.
      ...(config.tokens.issuer !== undefined ? { iss: config.tokens.issuer } : {}),
      ...(config.tokens.audience !== undefined ? { aud: config.tokens.audience } : {}),
    });
    json(res, 200, { token, userId: user.userId, role: user.role, expiresAt: exp * 1000 }, { 'x-parley-dev-only': 'true' });
    return true;
  }
  if (url.pathname === '/dev/key' && config.devTokens) {
    // Dev mode only: a demo user's local-encryption key, derived from the server's secret as a
    // shop's backend might (stable, per user, never stored). Anyone here may take it, as a token.
    const user = DEMO_USERS.find((u) => u.userId === url.searchParams.get('user'));
    if (!user) {
      json(res, 404, { error: 'unknown demo user' });
      return true;
    }
    const key = createHmac('sha256', deps.secret).update(`parley-local-key:${user.userId}`).digest('hex');
    json(res, 200, { key }, { 'x-parley-dev-only': 'true', 'cache-control': 'no-store' });
    return true;
  }
  if (url.pathname === '/__test/sessions' && req.method === 'GET' && deps.hooks) {
    json(res, 200, deps.sessions());
    return true;
  }
  if (url.pathname === '/__test/hooks' && req.method === 'POST' && deps.hooks) {
    try {
      deps.hooks.apply(JSON.parse(await readBody(req, MAX_HOOK_BODY)));
      json(res, 200, { ok: true });
    } catch (err) {
      json(res, 400, { error: String(err) });
    }
    return true;
  }
  return false;
}
