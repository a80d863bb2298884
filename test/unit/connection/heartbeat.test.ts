import { describe, expect, it } from 'vitest';
import { Heartbeat } from '../../../worker/connection';
import { FakeClock } from '../../support/fakePlatform';

function setup(intervalMs = 20_000, timeoutMs = 10_000) {
  const clock = new FakeClock();
  const log: string[] = [];
  const hb = new Heartbeat(
    { ping: () => log.push(`ping@${clock.now() - start}`), dead: () => log.push(`dead@${clock.now() - start}`) },
    { timers: { setTimeout: clock.setTimeout, clearTimeout: clock.clearTimeout }, clock: { now: clock.now } },
    { intervalMs, timeoutMs },
  );
  const start = clock.now();
  return { clock, log, hb };
}

describe('Heartbeat', () => {
  it('pings every intervalMs while frames answer', () => {
    const { clock, log, hb } = setup();
    hb.start();
    clock.advance(19_999);
    expect(log).toEqual([]);
    clock.advance(1);
    hb.received(); // the pong
    clock.advance(20_000);
    hb.received();
    clock.advance(20_000);
    hb.received();
    clock.advance(15_000); // past the last deadline
    expect(log).toEqual(['ping@20000', 'ping@40000', 'ping@60000']);
  });

  it('calls dead() once, timeoutMs after an unanswered ping, and stops', () => {
    const { clock, log, hb } = setup();
    hb.start();
    clock.advance(29_999);
    expect(log).toEqual(['ping@20000']);
    clock.advance(1);
    expect(log).toEqual(['ping@20000', 'dead@30000']);
    expect(clock.pending).toBe(0);
    clock.advance(600_000);
    expect(log).toHaveLength(2);
  });

  it('counts any inbound frame as life, not just pongs', () => {
    const { clock, log, hb } = setup();
    hb.start();
    clock.advance(20_000); // ping
    clock.advance(3_000);
    hb.received(); // a push, say
    clock.advance(7_000); // the deadline passes
    expect(log).toEqual(['ping@20000']);
  });

  it('a frame that arrived before the ping does not answer it', () => {
    const { clock, log, hb } = setup();
    hb.start();
    clock.advance(19_000);
    hb.received();
    clock.advance(11_000);
    expect(log).toEqual(['ping@20000', 'dead@30000']);
  });

  it('still finds a dead link when timeoutMs is longer than intervalMs', () => {
    const { clock, log, hb } = setup(10_000, 25_000);
    hb.start();
    clock.advance(15_000); // ping@10000
    hb.received();
    clock.advance(45_000 - 15_000 - 1); // ping@20000 unanswered: deadline 45000
    expect(log.filter((l) => l.startsWith('dead'))).toEqual([]);
    clock.advance(1);
    expect(log).toEqual(['ping@10000', 'ping@20000', 'ping@30000', 'ping@40000', 'dead@45000']);
  });

  it('stop() cancels every timer, and start() after stop() begins afresh', () => {
    const { clock, log, hb } = setup();
    hb.start();
    clock.advance(20_000);
    hb.stop();
    expect(clock.pending).toBe(0);
    clock.advance(100_000);
    expect(log).toEqual(['ping@20000']);
    hb.start();
    clock.advance(20_000);
    expect(log).toEqual(['ping@20000', 'ping@140000']);
  });
});
