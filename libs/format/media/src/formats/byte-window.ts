// A cached view over a ProbeInput for probers that hop through a file: one ranged read (S3, SFTP)
// costs about the same for 8 bytes as for a few KiB, so each miss fetches a window, and the head
// that every probe already paid for is always served for free.
import type { ProbeInput } from '../prober';

/** What a miss fetches when the caller asks for less: small boxes and chunks usually sit together. */
const DEFAULT_WINDOW_BYTES = 4096;

export class ByteWindow {
  private windowOffset = 0;
  private window: Buffer = Buffer.alloc(0);

  constructor(
    private readonly input: ProbeInput,
    private readonly windowBytes = DEFAULT_WINDOW_BYTES,
  ) {}

  get sizeBytes(): number {
    return this.input.sizeBytes;
  }

  /** Bytes the probe may still read; what the head and the window hold costs nothing more. */
  remainingBudget(): number {
    return this.input.remainingBudget();
  }

  /** Up to `length` bytes at `offset`; fewer only where the file ends. */
  async bytes(offset: number, length: number): Promise<Buffer> {
    const end = Math.min(offset + length, this.input.sizeBytes);
    if (end <= offset) return Buffer.alloc(0);
    const { head } = this.input;
    if (end <= head.length) return head.subarray(offset, end);
    if (offset >= this.windowOffset && end <= this.windowOffset + this.window.length) {
      return this.window.subarray(offset - this.windowOffset, end - this.windowOffset);
    }
    const needed = end - offset;
    const windowLength = Math.max(needed, Math.min(this.windowBytes, this.input.remainingBudget()));
    this.window = await this.input.read(offset, windowLength);
    this.windowOffset = offset;
    return this.window.subarray(0, needed);
  }

  /** The last `length` bytes of the file (all of it when shorter), as one read at most. */
  async tail(length: number): Promise<{ offset: number; bytes: Buffer }> {
    const offset = Math.max(0, this.input.sizeBytes - length);
    return { offset, bytes: await this.bytes(offset, this.input.sizeBytes - offset) };
  }
}
