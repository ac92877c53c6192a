// The contract between probeMedia and one container format's prober, and the byte budget every
// prober reads through. Probes run against SFTP and S3 too, so every byte is a cost.
import type { MediaFacts } from '@callintake/schemas';
import type { RangeReader } from './range-reader';
import type { SniffedContainer } from './sniff';

export interface ProbeInput {
  readonly sizeBytes: number;
  /** The first bytes of the file (up to HEAD_BYTES), already read and charged to the budget. */
  readonly head: Buffer;
  /** The whole budget, for messages. */
  readonly budgetBytes: number;
  /**
   * Reads `length` bytes from `offset`, clamped to the end of the file, charged to the budget.
   * Throws ReadBudgetExceededError rather than read past the budget.
   */
  read(offset: number, length: number): Promise<Buffer>;
  /** Bytes still allowed. */
  remainingBudget(): number;
}

export interface FormatProber {
  /** What the content should be, for mismatch messages: "expected WAV (RIFF/WAVE) but ...". */
  readonly expected: string;
  /** Containers (as sniffContainer names them) this format's files may start as. */
  readonly signatures: readonly SniffedContainer[];
  /**
   * For formats without a magic number (raw GSM, headerless MPEG audio after junk): let content
   * that sniffs as nothing in particular through to the prober instead of rejecting it.
   */
  readonly acceptsUnrecognised?: boolean;
  probe(input: ProbeInput): Promise<MediaFacts>;
}

/** Our signal that a prober wanted more bytes than allowed; probers turn it into a rejection. */
export class ReadBudgetExceededError extends Error {
  constructor(readonly budgetBytes: number) {
    super(`probe read budget of ${budgetBytes} bytes exhausted`);
    this.name = 'ReadBudgetExceededError';
  }
}

/** How much of a file's start every probe reads in one request: headers of most files fit. */
export const HEAD_BYTES = 64 * 1024;

export async function readExactly(reader: RangeReader, offset: number, length: number): Promise<Buffer> {
  const wanted = Math.max(0, Math.min(length, reader.sizeBytes - offset));
  if (wanted === 0) return Buffer.alloc(0);
  const bytes = await reader.read(offset, wanted);
  // A short read inside the listed size means the file changed or the transport failed: that is
  // transient, so a plain error (retried), never a rejection of the customer's file.
  if (bytes.length < wanted) {
    throw new Error(`short read at offset ${offset}: wanted ${wanted} bytes, got ${bytes.length}`);
  }
  return bytes.length > wanted ? bytes.subarray(0, wanted) : bytes;
}

export async function openProbeInput(reader: RangeReader, budgetBytes: number): Promise<ProbeInput> {
  let spent = 0;
  const read = async (offset: number, length: number): Promise<Buffer> => {
    const wanted = Math.max(0, Math.min(length, reader.sizeBytes - offset));
    if (spent + wanted > budgetBytes) throw new ReadBudgetExceededError(budgetBytes);
    spent += wanted;
    return readExactly(reader, offset, wanted);
  };
  const head = await read(0, Math.min(HEAD_BYTES, budgetBytes));
  return {
    sizeBytes: reader.sizeBytes,
    head,
    budgetBytes,
    read,
    remainingBudget: () => budgetBytes - spent,
  };
}
