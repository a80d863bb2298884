/**
 * CORS for the media endpoints, for a storefront served from another origin than the Parley
 * server: its engine uploads with an Authorization header (a preflighted request) and reads JSON
 * answers. Only origins in PARLEY_ALLOWED_ORIGINS get the headers; with the default 'same-origin'
 * nothing changes. Media bytes themselves need no CORS for <img>/<audio>.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerConfig } from '../config';

const PREFLIGHT_MAX_AGE_S = 600;

/** Sets the CORS headers when the request's Origin is allowed. True if it answered a preflight. */
export function applyCors(req: IncomingMessage, res: ServerResponse, allowed: ServerConfig['allowedOrigins']): boolean {
  const origin = req.headers.origin;
  if (!origin || allowed === 'same-origin' || !allowed.includes(origin)) return false;
  res.setHeader('access-control-allow-origin', origin);
  res.setHeader('vary', 'Origin');
  if (req.method !== 'OPTIONS') return false;
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, HEAD, POST',
    'access-control-allow-headers': 'authorization, content-type',
    'access-control-max-age': String(PREFLIGHT_MAX_AGE_S),
  });
  res.end();
  return true;
}
