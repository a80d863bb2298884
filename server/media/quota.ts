/**
 * Each user's media storage quota. What an upload may still write is the quota less what the
 * user keeps and what their other uploads in progress may write (reserved for their whole limit
 * until they finish), so concurrent uploads cannot overshoot it together.
 */
import type { MediaIndex } from '../store/Store';

export class MediaQuota {
  private readonly reserved = new Map<string, number>();

  constructor(
    private readonly index: MediaIndex,
    private readonly quotaBytes: number,
  ) {}

  /**
   * Reserve up to `want` bytes for one upload of `ownerId`: resolves with what it may write (at
   * most `want`), or 0 when the quota is used up. Call the returned release when it is done.
   */
  async reserve(ownerId: string, want: number): Promise<{ bytes: number; release: () => void }> {
    const kept = await this.index.bytesOwnedBy(ownerId);
    const held = this.reserved.get(ownerId) ?? 0;
    const bytes = Math.max(0, Math.min(want, this.quotaBytes - kept - held));
    if (bytes > 0) this.reserved.set(ownerId, held + bytes);
    let released = bytes === 0;
    return {
      bytes,
      release: () => {
        if (released) return;
        released = true;
        const left = (this.reserved.get(ownerId) ?? bytes) - bytes;
        if (left <= 0) this.reserved.delete(ownerId);
        else this.reserved.set(ownerId, left);
      },
    };
  }
}
