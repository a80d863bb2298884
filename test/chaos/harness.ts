/**
 * The chaos run: a real server in a child process (serverProcess.ts), nine Node devices (Engine +
 * SyncLayer + LocalStore on better-sqlite3: device.ts) and, with `browsers`, two Chromiums with two
 * tabs each on one SharedWorker (browser/browserDevice.ts), every device through its own fault
 * proxy; a seeded schedule of sends, reads, reloads, network, server and browser faults
 * (schedule.ts) played against them, the faults applied and healed by the nemesis (faults.ts),
 * what the clients saw recorded (history.ts); then heal, wait for quiescence (bounded), and check
 * the databases and the tabs' views against the history (checker.ts).
 *
 *   const result = await runChaos({ seed: 7, durationMs: 20_000 });
 *   result.check.pass, result.check.counts
 *
 * The schedule is a pure function of the seed; the timing of the engine's and the server's answers
 * to it is not, so a failing seed usually, not always, fails again.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { TcpProxy } from '../support/tcpProxy';
import { drawnFaults } from './appliedFaults';
import { ParleyError } from '../../schema';
import { BrowserDevice, SendUnanswered } from './browser/browserDevice';
import { startWebServer, type WebServer } from './browser/webServer';
import { check, readServer, readServerPg, staleStates, type CheckResult, type DeviceSnapshot, type ServerSnapshot } from './checker';
import { dropSchema } from '../support/services';
import { ChaosCluster, type ClusterServices } from './cluster';
import { Device, type ChaosDevice } from './device';
import { History, type SendRecord } from './history';
import { Prng } from './prng';
import { Nemesis, type Link } from './faults';
import type { ProbeOutcome } from './fenceProbe';
import { MediaProbe } from './mediaProbe';
import { BROWSER_DEVICES, CONVERSATIONS, conversationsOf, devicesFor, makeSchedule, SHOP, USERS, type Action, type FaultKind } from './schedule';
import { outcomeUnknown } from './rejections';
import { ChaosServer } from './serverProcess';
import { SwapControl } from './wsPushSwap';

export interface ChaosOptions {
  seed: number;
  /** How long the schedule runs (faults, sends, reloads), ms. */
  durationMs: number;
  /** Longest wait for quiescence after healing, ms (default 60 s). */
  quiesceMs?: number;
  /** Mean gap between two send bursts of one device, ms (default 2.5 s). */
  sendGapMs?: number;
  /** Mean gap between two device reloads, ms (default 6 s). */
  restartGapMs?: number;
  /** Only these kinds of fault (default: all). */
  faults?: readonly FaultKind[];
  /** Add the browser devices (schedule.ts BROWSER_DEVICES) and their faults; needs `npm run build`. */
  browsers?: boolean;
  /** Where the databases go (default: a fresh temp dir, removed afterwards unless `keep`). */
  workDir?: string;
  keep?: boolean;
  /** Progress lines (fault episodes, crashes, quiescence). */
  log?: (line: string) => void;
  /**
   * Run the server side as `nodes` (default 3) nodes on PostgreSQL and Redis behind a load balancer
   * (cluster.ts), with the cluster's faults in the draw; the schema is made for the run and dropped.
   */
  cluster?: ClusterServices & { nodes?: number };
}

export interface ChaosResult {
  seed: number;
  durationMs: number;
  /** sha256 of the schedule: the same seed and duration always give the same one. */
  scheduleDigest: string;
  /** Fault episodes the schedule drew, by kind (see appliedFaults.ts). */
  drawn: Record<string, number>;
  /** Fault episodes applied, by kind (the browser devices' own faults included). */
  faults: Record<string, number>;
  /** Browser devices took part. */
  browsers: boolean;
  faultLog: string[];
  /** send() calls made. */
  sent: number;
  /** recall() presses by how they ended (resolved, rejected, skipped: never sent in time). */
  recalls: Record<string, number>;
  /** Device restarts: graceful reloads and crashes (see Device.close). */
  reloads: { reload: number; crash: number };
  serverStarts: number;
  /** Server deaths by cause: a crash point that fired, or a plain kill. */
  serverDeaths: Record<string, number>;
  pushesSwapped: number;
  /** Notable engine events by kind (receive_error, kicked, ...). */
  events: Record<string, number>;
  /** The first notable engine events, with time and device. */
  eventLog: string[];
  quiesced: boolean;
  quiesceMs: number;
  check: CheckResult;
  workDir: string;
  /**
   * A cluster's session slots held by more than one live session across nodes once quiet (empty:
   * none; null: a node did not answer). Absent for a single server.
   */
  doubledSessions?: string[] | null;
  /**
   * A cluster's fence probes (fenceProbe.ts): writes the database accepted from superseded
   * sessions, and how each attempt ended on its socket.
   */
  fence?: { accepted: number; outcomes: Record<ProbeOutcome, number> };
  /** A cluster's media probe (mediaProbe.ts): uploads tried and accepted, and what some node could not serve. */
  media?: { tried: number; accepted: number; unreadable: string[] };
  /** The server's recent stderr, for diagnosis. */
  serverOutput: string;
}

const POLL_MS = 500;
/** One message in this many is recalled by its sender (by the sender's message counter: the schedule stays the seed's). */
const RECALL_EVERY = 7;
/** A recall waits for its message to be sent: up to this many looks, this far apart. */
const RECALL_TRIES = 10;
const RECALL_WAIT_MS = 300;
const RECEIPT_SETTLE_MS = 3_000;

export async function runChaos(opts: ChaosOptions): Promise<ChaosResult> {
  const log = opts.log ?? (() => {});
  const workDir = opts.workDir ?? (await fs.mkdtemp(path.join(os.tmpdir(), `parley-chaos-${opts.seed}-`)));
  const schedule = makeSchedule({ ...opts, cluster: opts.cluster !== undefined });
  const scheduleDigest = createHash('sha256').update(JSON.stringify(schedule)).digest('hex').slice(0, 16);
  const run = new ChaosRun(opts, workDir, log);
  let doubledSessions: string[] | null = null;
  let fence: ChaosResult['fence'];
  let media: ChaosResult['media'];
  try {
    await run.setUp();
    await run.play(schedule);
    await run.heal();
    const started = Date.now();
    const quiesced = await run.quiesce(opts.quiesceMs ?? 60_000);
    const quiesceMs = Date.now() - started;
    log(quiesced ? `quiet after ${quiesceMs} ms` : `NOT quiet after ${quiesceMs} ms`);
    // A cluster: one live session per session slot across the nodes, once everything is quiet.
    if (run.server instanceof ChaosCluster) {
      doubledSessions = await run.server.doubledSessions();
      await run.nemesis.fenceProbe.settled();
      const probe = run.nemesis.fenceProbe;
      fence = { accepted: await run.server.acceptedFencedWrites(probe.superseded), outcomes: { ...probe.outcomes } };
      if (run.mediaProbe) media = { tried: run.mediaProbe.tried, accepted: run.mediaProbe.acceptedCount, unreadable: await run.mediaProbe.unreadable(run.server.nodeUrls) };
    }
    const result = await run.finish();
    return {
      seed: opts.seed,
      durationMs: opts.durationMs,
      scheduleDigest,
      drawn: drawnFaults(schedule),
      faults: { ...run.nemesis.counts, ...run.browserFaults },
      browsers: opts.browsers ?? false,
      faultLog: run.nemesis.log,
      sent: run.history.sends.size,
      recalls: countBy([...run.history.recalls.values()].map((r) => r.outcome)),
      reloads: run.reloads,
      serverStarts: run.server.starts,
      serverDeaths: run.nemesis.serverDeaths,
      pushesSwapped: run.nemesis.swapped,
      events: Object.fromEntries(run.history.events),
      eventLog: run.history.eventLog,
      quiesced,
      quiesceMs,
      check: result,
      workDir,
      serverOutput: run.server.output(),
      ...(opts.cluster ? { doubledSessions, fence, media } : {}),
    };
  } finally {
    await run.tearDown();
    if (!opts.keep && !opts.workDir) await fs.rm(workDir, { recursive: true, force: true });
    if (opts.cluster && !opts.keep) await dropSchema(run.schema!, opts.cluster.databaseUrl).catch(() => {});
  }
}

class ChaosRun {
  readonly history: History;
  readonly server: ChaosServer | ChaosCluster;
  /** The cluster's schema, when the run is on one. */
  readonly schema: string | null;
  readonly nemesis: Nemesis;
  private readonly devices = new Map<string, ChaosDevice>();
  private web: WebServer | null = null;
  private readonly links = new Map<string, Link>();
  /** conversation key → id, and back. */
  private readonly convIds = new Map<string, string>();
  private readonly convKeys = new Map<string, string>();
  private readonly ids: Map<string, Prng>;
  private readonly textCounter = new Map<string, number>();
  private t0 = 0;
  readonly reloads = { reload: 0, crash: 0 };
  /** Browser faults started, by kind. */
  readonly browserFaults: Record<string, number> = {};
  /** A cluster run's uploads, read back from every node at the end. */
  mediaProbe: MediaProbe | null = null;

  constructor(
    private readonly opts: ChaosOptions,
    private readonly workDir: string,
    private readonly log: (line: string) => void,
  ) {
    const all = devicesFor(opts.browsers ?? false);
    // A browser's tabs report as `device#tab`.
    const userOf = (device: string) => all.find((d) => d.id === device.split('#')[0])!.user;
    this.history = new History(userOf);
    const serverOptions = {
      dataDir: path.join(workDir, 'server'),
      onCrash: (detail: string) => this.nemesis.onCrash(detail),
      allowedOrigins: () => (this.web ? [this.web.url] : []),
    };
    this.schema = opts.cluster ? `chaos_${opts.seed}_${Date.now().toString(36)}` : null;
    this.server = opts.cluster
      ? new ChaosCluster(opts.cluster, this.schema!, { ...serverOptions, nodes: opts.cluster.nodes ?? 3 })
      : new ChaosServer(serverOptions);
    this.nemesis = new Nemesis(this.server, this.links, () => this.at(), log);
    const root = new Prng(opts.seed);
    this.ids = new Map(all.map((d) => [d.id, root.fork(`ids:${d.id}`)]));
  }

  private at(): string {
    return `${((Date.now() - this.t0) / 1000).toFixed(1)}s`;
  }

  // ---- set-up: server, proxies, devices online, conversations --------------------------------

  async setUp(): Promise<void> {
    if (this.opts.browsers) this.web = await startWebServer(USERS);
    await this.server.start();
    for (const d of devicesFor(this.opts.browsers ?? false)) {
      const proxy = new TcpProxy(this.server.port);
      const swap = new SwapControl();
      proxy.setTap(swap.tap());
      await proxy.start();
      const user = USERS.find((u) => u.id === d.user)!;
      this.links.set(d.id, { proxy, swap });
      const browser = BROWSER_DEVICES.find((b) => b.id === d.id);
      this.devices.set(
        d.id,
        browser
          ? new BrowserDevice(d.id, user, proxy, this.web!, this.history, browser.tabs, path.join(this.workDir, `${d.id}.profile`))
          : new Device(d.id, user, path.join(this.workDir, `${d.id}.db`), proxy, this.history),
      );
    }
    for (const device of this.devices.values()) await device.open([]);
    await this.allOnline(20_000);
    for (const c of CONVERSATIONS) {
      const creator = this.deviceOf(c.createdBy);
      const params =
        c.key === 'group'
          ? { kind: 'group' as const, title: 'chaos group', memberIds: c.members.filter((m) => m !== c.createdBy) }
          : { kind: 'direct' as const, shopId: SHOP };
      const { conversation } = await creator.engine.request('conversations.create', params);
      this.convIds.set(c.key, conversation.id);
      this.convKeys.set(conversation.id, c.key);
    }
    if (this.server instanceof ChaosCluster) {
      this.mediaProbe = new MediaProbe({
        conversationId: this.convIds.get('direct:alice')!,
        uploader: USERS.find((u) => u.id === 'alice')!,
        reader: USERS.find((u) => u.id === 'shop-agent')!,
      });
      // One upload before any fault, as a baseline every node must serve.
      const up = this.server.nextUp();
      if (up) this.mediaProbe.upload(up.url, up.index);
    }
    for (const device of this.devices.values()) {
      if (device instanceof Device) for (const id of this.conversationIdsOf(device)) device.watch(id);
      else if (device instanceof BrowserDevice) await device.watchAll(this.conversationIdsOf(device));
    }
  }

  /** A Node device of `user`: they create the conversations. */
  private deviceOf(user: string): Device {
    return [...this.devices.values()].find((d): d is Device => d instanceof Device && d.user.id === user)!;
  }

  private conversationIdsOf(device: ChaosDevice): string[] {
    return conversationsOf(device.user.id).map((k) => this.convIds.get(k)!);
  }

  private async allOnline(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
      const statuses = await Promise.all([...this.devices.values()].map((d) => d.status()));
      if (statuses.every((s) => s === 'online')) return;
      if (Date.now() > deadline) throw new Error(`devices did not come online: ${statuses.join(', ')}`);
      await sleep(50);
    }
  }

  // ---- the schedule --------------------------------------------------------------------------

  async play(schedule: readonly Action[]): Promise<void> {
    this.t0 = this.history.t0 = Date.now();
    for (const a of schedule) {
      const wait = this.t0 + a.at - Date.now();
      if (wait > 0) await sleep(wait);
      this.dispatch(a);
    }
    const rest = this.t0 + this.opts.durationMs - Date.now();
    if (rest > 0) await sleep(rest);
  }

  private dispatch(a: Action): void {
    switch (a.kind) {
      case 'send': {
        const device = this.devices.get(a.device)!;
        const conversationId = this.convIds.get(a.conversation)!;
        void device.enqueue('send', () => this.sendBurst(device, conversationId, a.count));
        return;
      }
      case 'read': {
        const device = this.devices.get(a.device)!;
        const conversationId = this.convIds.get(a.conversation)!;
        void device.enqueue('read', () => device.markRead(conversationId));
        return;
      }
      case 'restart': {
        const device = this.devices.get(a.device)!;
        if (device instanceof BrowserDevice && a.how === 'crash') {
          // Not in turn: the browser dies whatever its tabs are doing (mid-burst, by the schedule).
          const what = `${this.at()} ${a.device} browser-kill (down ${a.downMs} ms)`;
          if (!device.crashNow(a.downMs)) return this.log(`${what}: not applied (the browser is relaunching)`);
          this.reloads.crash++;
          this.browserFaults['browser-kill'] = (this.browserFaults['browser-kill'] ?? 0) + 1;
          this.log(what);
          return;
        }
        void device.enqueue('restart', async () => {
          await device.close(a.how);
          this.reloads[a.how]++;
          await sleep(a.downMs);
          await device.open(this.conversationIdsOf(device));
        });
        return;
      }
      case 'fault': {
        // Each episode of a cluster run also uploads media through the next node up, while it lasts.
        const up = this.server instanceof ChaosCluster ? this.server.nextUp() : null;
        if (up) this.mediaProbe?.upload(up.url, up.index);
        void this.nemesis.start(a.fault, a.durationMs).catch((err: unknown) => this.log(`fault ${a.fault.kind} failed: ${String(err)}`));
        return;
      }
      case 'browser': {
        const device = this.devices.get(a.device);
        if (!(device instanceof BrowserDevice)) return;
        const what = `${a.device} ${a.fault.kind}${'tab' in a.fault ? ` tab ${a.fault.tab}` : ''}`;
        this.log(`${this.at()} ${what}`);
        // Counted once applied (a freeze when it ends): a fault on a browser that is down, or on a
        // tab already frozen, is not.
        void device.fault(a.fault).then(
          (notApplied) => {
            if (notApplied) this.log(`${this.at()} ${what}: not applied (${notApplied})`);
            else this.browserFaults[a.fault.kind] = (this.browserFaults[a.fault.kind] ?? 0) + 1;
          },
          (err: unknown) => this.log(`${what} failed: ${String(err)}`),
        );
        return;
      }
    }
  }

  /** `count` sends called at once, without waiting for one another (several tabs typing). */
  private async sendBurst(device: ChaosDevice, conversationId: string, count: number): Promise<void> {
    const calls: Promise<unknown>[] = [];
    for (let i = 0; i < count; i++) {
      const n = (this.textCounter.get(device.id) ?? 0) + 1;
      this.textCounter.set(device.id, n);
      const text = `chaos ${this.opts.seed} ${device.id} #${n}`;
      const record = this.history.beginSend(device.id, conversationId, this.ids.get(device.id)!.uuid(), text);
      calls.push(
        device.send(conversationId, text, record.id).then(
          () => {
            record.settledAt = Date.now();
            record.acknowledged = true;
            if (n % RECALL_EVERY === 0) this.recallLater(device, record);
          },
          (err: unknown) => {
            record.settledAt = Date.now();
            record.error = String(err);
            record.code = rejectionCode(err);
            record.indeterminate = outcomeUnknown(record.code);
          },
        ),
      );
    }
    await Promise.all(calls);
  }

  /**
   * The sender recalls one message in RECALL_EVERY, behind its device's other actions: once it is
   * sent (tried a few times while it is not), whatever the network is doing then.
   */
  private recallLater(device: ChaosDevice, send: SendRecord): void {
    const record = this.history.beginRecall(send);
    void device.enqueue('recall', async () => {
      for (let attempt = 0; attempt < RECALL_TRIES; attempt++) {
        try {
          if ((await device.recall(send.id)) === 'called') {
            record.outcome = 'resolved';
            return;
          }
        } catch (err) {
          record.outcome = 'rejected';
          record.code = rejectionCode(err);
          return;
        }
        await sleep(RECALL_WAIT_MS);
      }
      record.outcome = 'skipped';
    });
  }

  // ---- heal, quiesce, check ------------------------------------------------------------------

  async heal(): Promise<void> {
    await this.nemesis.healAll();
    // Queued sends and reloads finish first (a device stuck there would show in the check).
    const settle = new AbortController();
    await Promise.race([
      Promise.all([...this.devices.values()].map((d) => d.idle())),
      sleep(30_000, undefined, { signal: settle.signal }).catch(() => {}),
    ]);
    settle.abort();
    for (const device of this.devices.values()) {
      if (device instanceof BrowserDevice) await device.thaw();
      await device.open(this.conversationIdsOf(device));
      await device.wake();
    }
    this.log(`${this.at()} healed`);
  }

  /**
   * Poll until every device is online, has sent everything and holds every message of its
   * conversations, and its receipts have caught up with the server's; receipts get at most
   * RECEIPT_SETTLE_MS once the rest is quiet (a receipt lost for good would hold us to the bound).
   *
   * Quiet twice in a row, with the server unchanged between the two polls: a device that stored a
   * message a moment ago still sends its delivered receipt (coalesced for 100 ms), and the push of
   * that receipt must reach the others before the final read, or it shows as a stale state.
   */
  async quiesce(ms: number): Promise<boolean> {
    const deadline = Date.now() + ms;
    let restQuietSince: number | null = null;
    let lastQuiet: string | null = null;
    for (;;) {
      if (!this.server.up) await this.server.start().catch(() => {});
      const { rest, receipts, serverState } = await this.quiet();
      if (rest && receipts) {
        if (lastQuiet === serverState) return true;
        lastQuiet = serverState;
        await sleep(POLL_MS);
        continue;
      }
      lastQuiet = null;
      if (rest) {
        restQuietSince ??= Date.now();
        if (Date.now() - restQuietSince > RECEIPT_SETTLE_MS) return true;
      } else restQuietSince = null;
      if (Date.now() > deadline) return false;
      await sleep(POLL_MS);
    }
  }

  /** What the server holds: its SQLite file, or the cluster's schema. */
  private readServer(): Promise<ServerSnapshot> {
    const cluster = this.opts.cluster;
    return cluster ? readServerPg(cluster.databaseUrl, this.schema!) : readServer(path.join(this.workDir, 'server', 'parley.db'));
  }

  /** `serverState` names what the server held when read (its message and event counts). */
  private async quiet(): Promise<{ rest: boolean; receipts: boolean; serverState: string }> {
    let rest = true;
    let receipts = true;
    const server = await this.readServer();
    const { lastSeq } = server;
    for (const device of this.devices.values()) {
      let snap: DeviceSnapshot;
      try {
        await device.wake();
        if ((await device.status()) !== 'online') rest = false;
        snap = await device.snapshot();
      } catch (err) {
        // A browser whose page closed under the read (a relaunch still finishing): not quiet yet,
        // ask again on the next poll; the deadline bounds how long.
        if (!pageClosed(err)) throw err;
        this.log(`${device.id}: ${String(err).split('\n')[0]}; reading it again`);
        rest = false;
        continue;
      }
      for (const o of snap.outbox) {
        rest = false;
        // The engine gave up on it (8 failed attempts): press Resend, as a user would.
        if (o.status === 'failed' && !this.history.resent.has(o.messageId)) {
          this.history.resent.add(o.messageId);
          this.history.failed(o.messageId, o.error?.split(':')[0] ?? 'unknown');
          this.history.event(device.id, 'failed_send', `${o.messageId}: ${o.error}`);
          await device.resend(o.messageId).catch((err: unknown) => this.log(`resend ${o.messageId}: ${String(err)}`));
        }
      }
      for (const id of this.conversationIdsOf(device)) {
        const stored = new Set(snap.messages.filter((m) => m.conversationId === id && m.seq !== null).map((m) => m.seq));
        if (stored.size < (lastSeq.get(id) ?? 0)) rest = false;
      }
      if (staleStates(server, snap, partyOf(device.user.id)).length > 0) receipts = false;
    }
    // Devices are read one after another (a browser's read takes a while): a device that sent while
    // the others were read would be quiet against a server read that missed its messages, whose
    // pushes have not reached the others. Quiet only if the server did not change meanwhile.
    const after = await this.readServer();
    if (after.rows.length !== server.rows.length || after.events.length !== server.events.length) rest = false;
    return { rest, receipts, serverState: `${after.rows.length}/${after.events.length}` };
  }

  async finish(): Promise<CheckResult> {
    const snapshots: DeviceSnapshot[] = [];
    for (const device of this.devices.values()) snapshots.push(await device.finalSnapshot());
    await this.server.stop();
    const server = await this.readServer();
    const result = check(this.history, server, snapshots, {
      membersOf: (conversationId) => CONVERSATIONS.find((c) => c.key === this.convKeys.get(conversationId))?.members ?? [],
      devicesOf: (user) => devicesFor(this.opts.browsers ?? false).filter((d) => d.user === user).map((d) => d.id),
      partyOf,
    });
    return result;
  }

  async tearDown(): Promise<void> {
    await this.nemesis.close();
    for (const device of this.devices.values()) {
      if (device instanceof BrowserDevice) await device.shutDown().catch(() => {});
      else await device.close().catch(() => {});
      await device.proxy.close().catch(() => {});
    }
    if (this.server instanceof ChaosCluster) await this.server.killAll();
    else await this.server.kill9();
    await this.web?.close();
  }
}

/**
 * A rejected send()'s code: the engine's (a ParleyError, in Node or from a tab), null when no
 * answer came, NO_CODE for anything else (the harness's own failure, e.g. a call on a closed device).
 */
function rejectionCode(err: unknown): string | null {
  if (err instanceof SendUnanswered) return null;
  return ParleyError.is(err) ? err.code : 'NO_CODE';
}

const countBy = (keys: readonly string[]): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const k of keys) counts[k] = (counts[k] ?? 0) + 1;
  return counts;
};

const partyOf = (user: string): string => USERS.find((u) => u.id === user)?.shop ?? user;

/** Playwright's error for a call into a page, context or browser that closed meanwhile. */
const pageClosed = (err: unknown): boolean => /Target page, context or browser has been closed|pages or the browser are being closed/.test(String(err));
