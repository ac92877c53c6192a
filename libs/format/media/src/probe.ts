// The media probe seam: size rules that hold for every format, then the prober registered for
// the file's extension, reading through a byte budget.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import { FORMAT_PROBERS, UNPROBED_CONTAINERS } from './formats/registry';
import { openProbeInput, ReadBudgetExceededError } from './prober';
import type { RangeReader } from './range-reader';
import { describeContent, sniffContainer } from './sniff';

export const MAX_MEDIA_BYTES = 2 * 1024 ** 3; // 2 GiB

/** Headers and indexes of every format we take fit well within this; bodies never need reading. */
const DEFAULT_MAX_READ_BYTES = 1024 * 1024;

export interface ProbeOptions {
  /** lower-case, no dot */
  extension: string;
  /** Most bytes one probe may read, head included; default 1 MiB. */
  maxReadBytes?: number;
}

export async function probeMedia(reader: RangeReader, options: ProbeOptions): Promise<MediaFacts> {
  const extension = options.extension.replace(/^\./, '').toLowerCase();
  const { sizeBytes } = reader;
  if (sizeBytes === 0) reject('empty-file', 'the file is empty (0 bytes)');
  if (sizeBytes > MAX_MEDIA_BYTES) {
    reject(
      'too-large',
      `the file is ${sizeBytes} bytes; recordings may be at most ${MAX_MEDIA_BYTES} bytes (2 GiB)`,
    );
  }
  if (UNPROBED_CONTAINERS.has(extension)) return { container: extension, sizeBytes, probed: false };

  const prober = FORMAT_PROBERS.get(extension);
  // Our gap, not the customer's fault: a plain error, so the job fails and retries after a deploy.
  if (!prober) throw new Error(`no prober for ${extension} yet`);

  const maxReadBytes = options.maxReadBytes ?? DEFAULT_MAX_READ_BYTES;
  if (!Number.isSafeInteger(maxReadBytes) || maxReadBytes < 1) {
    throw new RangeError(`maxReadBytes must be a positive integer, got ${maxReadBytes}`);
  }
  const input = await openProbeInput(reader, maxReadBytes);
  const container = sniffContainer(input.head);
  const matches =
    container === undefined ? prober.acceptsUnrecognised === true : prober.signatures.includes(container);
  if (!matches) {
    reject(
      'format-mismatch',
      `expected ${prober.expected} but content looks like ${describeContent(input.head)}`,
    );
  }
  try {
    return await prober.probe(input);
  } catch (error) {
    // Probers name what they were looking for; this is the backstop for one that did not.
    if (error instanceof ReadBudgetExceededError) {
      reject('corrupt-media', `could not find the ${prober.expected} headers within ${maxReadBytes} bytes`);
    }
    // A header that sends a parser past the bytes it has is malformed, not our transient fault:
    // a verdict for the customer instead of a job retried until it fails.
    const code = (error as NodeJS.ErrnoException | undefined)?.code;
    if (code === 'ERR_OUT_OF_RANGE' || code === 'ERR_BUFFER_OUT_OF_BOUNDS') {
      reject('corrupt-media', `malformed ${prober.expected} header: ${(error as Error).message}`);
    }
    throw error;
  }
}
