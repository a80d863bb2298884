/**
 * Devices' acked cursors waiting to be written to the `device_cursors` record. That record is a
 * fallback (a device names its own cursor, which wins), so acks, which arrive with every burst of
 * pushes, are kept here and written together once a second instead of each in a commit; a crash
 * costs at most that second of them (a few repeated pushes). Each cursor only rises.
 */

export interface DeviceAck {
  userId: string;
  deviceId: string;
  cursor: number;
}

/** How long acks wait to be written together. */
const SAVE_MS = 1000;

export class PendingAcks {
  private readonly unsaved = new Map<string, DeviceAck>();
  private timer: NodeJS.Timeout | null = null;

  /** `due` is called SAVE_MS after an ack arrives with none waiting: the owner then take()s and writes. */
  constructor(private readonly due: () => void) {}

  /** Record an ack; one at or below what waits for the device changes nothing. */
  set(userId: string, deviceId: string, cursor: number): void {
    const key = keyOf(userId, deviceId);
    const prior = this.unsaved.get(key);
    if (prior && prior.cursor >= cursor) return;
    this.unsaved.set(key, { userId, deviceId, cursor });
    if (this.timer === null) {
      this.timer = setTimeout(() => {
        this.timer = null;
        this.due();
      }, SAVE_MS);
      this.timer.unref();
    }
  }

  /** The cursor waiting for the device, 0 if none. */
  waiting(userId: string, deviceId: string): number {
    return this.unsaved.get(keyOf(userId, deviceId))?.cursor ?? 0;
  }

  /**
   * Everything waiting, in key order (two nodes writing their batches then never wait on each
   * other's row locks in a cycle), and no longer waiting here.
   */
  take(): DeviceAck[] {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    const batch = [...this.unsaved.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, ack]) => ack);
    this.unsaved.clear();
    return batch;
  }
}

const keyOf = (userId: string, deviceId: string) => `${userId}\n${deviceId}`;
