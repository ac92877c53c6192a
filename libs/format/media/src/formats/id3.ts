// ID3 tags around MP3 (and, by some taggers, FLAC) audio: ID3v2 tags at the start, whose size
// says where the audio begins, and the 128-byte ID3v1 tag at the very end.
import { reject } from '@callintake/schemas';
import type { ByteWindow } from './byte-window';

const ID3V2_HEADER_BYTES = 10;
export const ID3V1_BYTES = 128;

/** Total bytes of the ID3v2 tag (header, body, footer) that `header` starts, or undefined if none. */
function id3v2TagBytes(header: Buffer): number | undefined {
  if (header.length < ID3V2_HEADER_BYTES || header.toString('latin1', 0, 3) !== 'ID3') return undefined;
  const sizeBytes = header.subarray(6, 10);
  if (header[3] === 0xff || header[4] === 0xff || sizeBytes.some((byte) => byte >= 0x80)) {
    reject('corrupt-media', 'unreadable ID3v2 tag header: its size is not a syncsafe integer');
  }
  const bodyBytes = sizeBytes.reduce((size, byte) => size * 128 + byte, 0);
  const hasFooter = ((header[5] ?? 0) & 0x10) !== 0;
  return ID3V2_HEADER_BYTES + bodyBytes + (hasFooter ? ID3V2_HEADER_BYTES : 0);
}

/** Where the content after any ID3v2 tags begins; tags may repeat when a tagger prepends another. */
export async function skipId3v2Tags(window: ByteWindow): Promise<number> {
  let offset = 0;
  for (;;) {
    const tagBytes = id3v2TagBytes(await window.bytes(offset, ID3V2_HEADER_BYTES));
    if (tagBytes === undefined) return offset;
    if (offset + tagBytes > window.sizeBytes) {
      reject(
        'corrupt-media',
        `truncated: the ID3v2 tag at offset ${offset} declares ${tagBytes} bytes but the file has only ${window.sizeBytes - offset} from there`,
      );
    }
    offset += tagBytes;
  }
}

/** Whether the file ends with an ID3v1 tag; `contentStart` keeps the tag out of the headers. */
export async function endsWithId3v1(window: ByteWindow, contentStart: number): Promise<boolean> {
  if (window.sizeBytes - contentStart < ID3V1_BYTES) return false;
  const { bytes } = await window.tail(ID3V1_BYTES);
  return bytes.toString('latin1', 0, 3) === 'TAG';
}
