// Turns a byte (or string) stream into CSV text the parser can split on '\n' alone: UTF-8
// decoded across chunk boundaries, BOM dropped, CRLF and lone CR folded into LF (files edited on
// several machines mix them, and papaparse guesses a single newline), and tiny chunks gathered
// so each parse call sees a useful amount of text.
import { Buffer, isUtf8 } from 'node:buffer';
import type { Readable } from 'node:stream';
import { reject } from '@callintake/schemas';
import { METADATA_LIMITS } from './limits';

/** Text handed to the parser at a time; also the unit the partial last row is re-read in. */
const PIECE_CHARS = 64 * 1024;

export type TextSource = NodeJS.ReadableStream | Readable;

export async function* normalizedCsvText(input: TextSource): AsyncGenerator<string> {
  // Fatal: a file in another encoding (Excel's Windows-1252 export) is rejected instead of
  // having its accents silently replaced.
  const decoder = new Utf8Decoder();
  let pending = '';
  let heldCarriageReturn = false;
  let sawText = false;
  let totalChars = 0;

  const take = (decoded: string, final: boolean): string => {
    let text = decoded;
    if (!sawText && text.length > 0) {
      sawText = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (heldCarriageReturn) {
      text = '\r' + text;
      heldCarriageReturn = false;
    }
    // A CR at the end of a chunk may be the first half of a CRLF split across chunks.
    if (!final && text.endsWith('\r')) {
      text = text.slice(0, -1);
      heldCarriageReturn = true;
    }
    return text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  };

  for await (const chunk of input as AsyncIterable<string | Uint8Array>) {
    let decoded: string;
    if (typeof chunk === 'string') {
      decoded = chunk;
    } else {
      decoded = decoder.decode(chunk);
    }
    totalChars += decoded.length;
    if (totalChars > METADATA_LIMITS.csvBytes) {
      reject('too-large', `a CSV file may hold at most ${METADATA_LIMITS.csvBytes} bytes`);
    }
    pending += take(decoded, false);
    if (pending.length >= PIECE_CHARS) {
      yield pending;
      pending = '';
    }
  }
  pending += take(decoder.end(), true);
  if (pending.length > 0) yield pending;
}

/**
 * Streaming UTF-8 decoding with the results of `new TextDecoder('utf-8', { fatal: true })`
 * (`stream: true` per chunk, a leading BOM dropped, invalid or unfinished sequences refused),
 * but several times faster: TextDecoder's streaming mode goes through a slow converter, while
 * `isUtf8` and `Buffer#toString` validate and decode natively. The bytes of a character split
 * across chunks are carried to the next chunk.
 */
export class Utf8Decoder {
  private carried: Buffer | undefined;
  private started = false;

  /** Text of every complete character so far; throws parse-error for bytes that are not UTF-8. */
  decode(chunk: Uint8Array): string {
    const fresh = Buffer.isBuffer(chunk)
      ? chunk
      : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    const bytes = this.carried === undefined ? fresh : Buffer.concat([this.carried, fresh]);
    const complete = completeLength(bytes);
    this.carried = complete < bytes.length ? Buffer.from(bytes.subarray(complete)) : undefined;
    const whole = complete === bytes.length ? bytes : bytes.subarray(0, complete);
    if (!isUtf8(whole)) return notUtf8();
    let text = whole.toString('utf8');
    if (!this.started && text.length > 0) {
      this.started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    return text;
  }

  /** The end of the input: a character left unfinished is refused. */
  end(): string {
    if (this.carried !== undefined) return notUtf8();
    return '';
  }
}

/**
 * How many leading bytes hold only whole characters: all of them unless the last character's
 * lead byte announces more bytes than follow it. Bytes that are not UTF-8 at all are left in
 * for `isUtf8` to refuse.
 */
function completeLength(bytes: Buffer): number {
  const length = bytes.length;
  let lead = length - 1;
  // A character has at most 3 continuation bytes (10xxxxxx) after its lead byte.
  while (lead >= 0 && lead > length - 4 && (bytes[lead]! & 0xc0) === 0x80) lead--;
  if (lead < 0) return length;
  const first = bytes[lead]!;
  const needed = first >= 0xf0 ? 4 : first >= 0xe0 ? 3 : first >= 0xc0 ? 2 : 1;
  return length - lead < needed ? lead : length;
}

function notUtf8(): never {
  return reject('parse-error', 'the file is not valid UTF-8 text; save it as CSV UTF-8');
}
