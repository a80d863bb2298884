/**
 * A proxy tap (see TcpProxy.setTap) that swaps two pushes on their way to the client: it holds one
 * `push` frame, lets the frames after it pass, and releases it right after the next push, so the
 * client gets the later cursor first. The server never reorders one socket's pushes; this is the
 * "duplicate and reordered delivery" fault of the catalogue, made where the server cannot help.
 *
 * It parses the server → client stream (the HTTP 101 answer, then WebSocket frames, which a server
 * never masks) on every connection from its first byte, to know where frames start; it rewrites
 * nothing unless armed. A held push is released unswapped after `holdMs` if no other push comes.
 */
import type { Direction, TapFactory } from '../support/tcpProxy';

/** Shared by every connection of one proxy: how many swaps are still wanted. */
export class SwapControl {
  /** Swaps still to make (each one holds a push and releases it after the next). */
  wanted = 0;
  /** Swaps made so far. */
  made = 0;

  constructor(readonly holdMs = 300) {}

  tap(): TapFactory {
    return (direction: Direction, emit: (chunk: Buffer) => void) => {
      if (direction === 'up') return emit;
      const parser = new DownstreamSwapper(this, emit);
      return (chunk) => parser.push(chunk);
    };
  }
}

const HEADER_END = Buffer.from('\r\n\r\n');
/** superjson puts the frame under "json"; the frame's first key is `t`. */
const PUSH_PREFIX = Buffer.from('{"json":{"t":"push"');

class DownstreamSwapper {
  private buf: Buffer = Buffer.alloc(0);
  private inHeaders = true;
  private held: Buffer | null = null;
  private holdTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly control: SwapControl,
    private readonly emit: (chunk: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.inHeaders) {
      const end = this.buf.indexOf(HEADER_END);
      if (end < 0) return;
      this.emit(this.buf.subarray(0, end + HEADER_END.length));
      this.buf = this.buf.subarray(end + HEADER_END.length);
      this.inHeaders = false;
    }
    for (let frame = this.nextFrame(); frame; frame = this.nextFrame()) this.onFrame(frame);
  }

  /** Cut one whole frame off the front of the buffer, or null if it is not all here yet. */
  private nextFrame(): { bytes: Buffer; payload: Buffer } | null {
    const b = this.buf;
    if (b.length < 2) return null;
    let len = b[1]! & 0x7f;
    let offset = 2;
    if (len === 126) {
      if (b.length < 4) return null;
      len = b.readUInt16BE(2);
      offset = 4;
    } else if (len === 127) {
      if (b.length < 10) return null;
      len = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    if (b[1]! & 0x80) offset += 4; // masked (never from a server, but stay in step)
    if (b.length < offset + len) return null;
    const bytes = b.subarray(0, offset + len);
    this.buf = b.subarray(offset + len);
    return { bytes, payload: bytes.subarray(offset) };
  }

  private onFrame(frame: { bytes: Buffer; payload: Buffer }): void {
    const opcode = frame.bytes[0]! & 0x0f;
    const isPush = opcode === 1 && frame.payload.subarray(0, PUSH_PREFIX.length).equals(PUSH_PREFIX);
    if (!isPush) return this.emit(frame.bytes);
    if (this.held) {
      this.emit(frame.bytes);
      this.release(true);
      return;
    }
    if (this.control.wanted > 0) {
      this.control.wanted--;
      this.held = Buffer.from(frame.bytes);
      this.holdTimer = setTimeout(() => this.release(false), this.control.holdMs);
      return;
    }
    this.emit(frame.bytes);
  }

  private release(swapped: boolean): void {
    if (this.holdTimer) clearTimeout(this.holdTimer);
    this.holdTimer = null;
    const held = this.held;
    this.held = null;
    if (!held) return;
    if (swapped) this.control.made++;
    this.emit(held);
  }
}
