// Turns a byte (or string) stream into CSV text the parser can split on '\n' alone: UTF-8
// decoded across chunk boundaries, BOM dropped, CRLF and lone CR folded into LF (files edited on
// several machines mix them, and papaparse guesses a single newline), and tiny chunks gathered
// so each parse call sees a useful amount of text.
import type { Readable } from 'node:stream';
import { reject } from '@callintake/schemas';
import { METADATA_LIMITS } from './limits';

/** Text handed to the parser at a time; also the unit the partial last row is re-read in. */
const PIECE_CHARS = 64 * 1024;

export type TextSource = NodeJS.ReadableStream | Readable;

export async function* normalizedCsvText(input: TextSource): AsyncGenerator<string> {
  // fatal: a file in another encoding (Excel's Windows-1252 export) is rejected instead of
  // having its accents silently replaced.
  const decoder = new TextDecoder('utf-8', { fatal: true });
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
      try {
        decoded = decoder.decode(chunk, { stream: true });
      } catch {
        return notUtf8();
      }
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
  let tail: string;
  try {
    tail = decoder.decode();
  } catch {
    return notUtf8();
  }
  pending += take(tail, true);
  if (pending.length > 0) yield pending;
}

function notUtf8(): never {
  return reject('parse-error', 'the file is not valid UTF-8 text; save it as CSV UTF-8');
}
