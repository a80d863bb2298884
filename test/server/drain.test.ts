/** Draining a node (SIGTERM, a deploy): unready at once, new sockets refused, open ones told to go elsewhere. */
import { afterEach, describe, expect, it } from 'vitest';
import { CloseCode } from '../../schema';
import { uid } from '../support/fixtures';
import { startServer, type TestServer } from '../support/server';

describe('drain', () => {
  let srv: TestServer | undefined;
  afterEach(async () => {
    await srv?.stop();
    srv = undefined;
  });

  it('says 503 draining and refuses sockets at once, then closes the open ones with 4005 after the delay', async () => {
    srv = await startServer({ drainDelayMs: 300 });
    const open = await srv.login(uid('u'));
    expect((await fetch(`${srv.url}/healthz`)).status).toBe(200);

    const started = Date.now();
    const drained = srv.server.drain();
    const health = await fetch(`${srv.url}/healthz`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unready', reason: 'draining' });
    const late = srv.connect({ token: srv.token(uid('late')), deviceId: 'd' });
    await expect(late.opened).rejects.toThrow(/503/);
    // The open socket still works during the delay: the load balancer is taking the node out.
    await open.ping();

    const closed = await open.closed;
    expect(closed.code).toBe(CloseCode.GO_ELSEWHERE);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await drained;
  });

  it('drains before it closes: close() alone also tells clients to go elsewhere', async () => {
    srv = await startServer();
    const open = await srv.login(uid('u'));
    // The server alone (the test helper's stop() would drop its clients' sockets first).
    const closing = srv.server.close();
    expect((await open.closed).code).toBe(CloseCode.GO_ELSEWHERE);
    await closing;
    await srv.stop();
    srv = undefined;
  });
});
