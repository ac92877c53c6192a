// Recognises a file's container from its first bytes, so a probe can tell a customer what their
// file really is when it does not match its extension ("expected WAV but content looks like MP3").

export type SniffedContainer =
  | 'wav'
  | 'rf64'
  | 'riff'
  | 'mp3'
  | 'aac'
  | 'flac'
  | 'ogg'
  | 'mp4'
  | 'ebml'
  | 'aiff'
  | 'au'
  | 'asf'
  | 'mpeg-ps'
  | 'mpeg-ts'
  | 'mpeg-video'
  | 'amr'
  | 'text';

interface Sniffed {
  container: SniffedContainer;
  /** How a customer would name it, for rejection messages. */
  label: string;
}

const ASF_HEADER_GUID = Buffer.from('3026b2758e66cf11a6d900aa0062ce6c', 'hex');
const EBML_MAGIC = Buffer.from([0x1a, 0x45, 0xdf, 0xa3]);
const MPEG_PACK_HEADER = Buffer.from([0x00, 0x00, 0x01, 0xba]);
const MPEG_VIDEO_SEQUENCE_HEADER = Buffer.from([0x00, 0x00, 0x01, 0xb3]);
const MPEG_TS_PACKET_BYTES = 188;
/** Top-level boxes a QuickTime movie without ftyp may start with. */
const QUICKTIME_FIRST_BOXES = new Set(['moov', 'mdat', 'wide', 'free', 'skip', 'pnot']);
/** Enough to judge text without decoding a whole 64 KiB head. */
const TEXT_SAMPLE_BYTES = 4096;

function ascii(head: Buffer, start: number, length: number): string {
  return head.length >= start + length ? head.toString('latin1', start, start + length) : '';
}

function startsWith(head: Buffer, magic: Buffer, at = 0): boolean {
  return head.length >= at + magic.length && head.subarray(at, at + magic.length).equals(magic);
}

/** Where the ID3v2 tag at the start of `head` ends (header, syncsafe size, optional footer). */
function id3v2TagEnd(head: Buffer): number | undefined {
  const size = head.subarray(6, 10);
  if (size.length < 4 || size.some((byte) => byte >= 0x80)) return undefined;
  const hasFooter = ((head[5] ?? 0) & 0x10) !== 0;
  return 10 + size.reduce((total, byte) => total * 128 + byte, 0) + (hasFooter ? 10 : 0);
}

function sniffMpegAudioSync(head: Buffer): Sniffed | undefined {
  const [b0, b1, b2] = head;
  if (b0 !== 0xff || b1 === undefined || b2 === undefined || (b1 & 0xe0) !== 0xe0) return undefined;
  const version = (b1 >> 3) & 0x3;
  const layer = (b1 >> 1) & 0x3;
  // Layer bits 00 with the MPEG-2/4 flag are ADTS AAC, not an MPEG audio layer.
  if (layer === 0) return (b1 & 0xf6) === 0xf0 ? { container: 'aac', label: 'AAC (ADTS)' } : undefined;
  // A lone 0xFF 0xEx is common in binary; reserved version, bit rate or sample rate rule it out.
  const bitrateIndex = b2 >> 4;
  const sampleRateIndex = (b2 >> 2) & 0x3;
  if (version === 1 || bitrateIndex === 0xf || sampleRateIndex === 3) return undefined;
  return { container: 'mp3', label: 'MP3 (MPEG audio frame)' };
}

function looksLikeText(head: Buffer): boolean {
  const sample = head.subarray(0, TEXT_SAMPLE_BYTES);
  if (sample.length === 0) return false;
  for (const byte of sample) {
    // Tab, LF, VT, FF, CR are the only control characters text files carry.
    if ((byte < 0x20 && (byte < 0x09 || byte > 0x0d)) || byte === 0x7f) return false;
  }
  try {
    // Streaming mode: the sample may end inside a multi-byte character, which is no fault.
    new TextDecoder('utf-8', { fatal: true }).decode(sample, { stream: true });
    return true;
  } catch {
    return false;
  }
}

function sniff(head: Buffer): Sniffed | undefined {
  const fourcc = ascii(head, 0, 4);
  switch (fourcc) {
    case 'RIFF': {
      const form = ascii(head, 8, 4);
      if (form === 'WAVE') return { container: 'wav', label: 'WAV (RIFF/WAVE)' };
      return { container: 'riff', label: form ? `RIFF/${form.trim() || '?'}` : 'RIFF (truncated header)' };
    }
    case 'RF64':
    case 'BW64':
      return { container: 'rf64', label: `WAV (${fourcc})` };
    case 'fLaC':
      return { container: 'flac', label: 'FLAC' };
    case 'OggS':
      return { container: 'ogg', label: 'Ogg' };
    case 'FORM': {
      const form = ascii(head, 8, 4);
      if (form === 'AIFF' || form === 'AIFC') return { container: 'aiff', label: `AIFF (FORM/${form})` };
      break;
    }
    case '.snd':
      return { container: 'au', label: 'Sun/NeXT audio (.snd)' };
    default:
      break;
  }
  if (ascii(head, 0, 3) === 'ID3') {
    // Some taggers put ID3v2 in front of FLAC too; what follows the tag tells them apart.
    const tagEnd = id3v2TagEnd(head);
    if (tagEnd !== undefined && ascii(head, tagEnd, 4) === 'fLaC') {
      return { container: 'flac', label: 'FLAC (ID3-tagged)' };
    }
    return { container: 'mp3', label: 'MP3 (ID3)' };
  }
  if (ascii(head, 4, 4) === 'ftyp') return { container: 'mp4', label: 'MP4/M4A (ftyp)' };
  // Older QuickTime files start with a box other than ftyp; a text file cannot start with NUL.
  if (head[0] === 0 && QUICKTIME_FIRST_BOXES.has(ascii(head, 4, 4))) {
    return { container: 'mp4', label: 'QuickTime/MP4 (no ftyp)' };
  }
  if (ascii(head, 0, 5) === '#!AMR') return { container: 'amr', label: 'AMR' };
  if (startsWith(head, EBML_MAGIC)) return { container: 'ebml', label: 'WebM/Matroska (EBML)' };
  if (startsWith(head, ASF_HEADER_GUID)) return { container: 'asf', label: 'WMA/WMV (ASF)' };
  if (startsWith(head, MPEG_PACK_HEADER)) return { container: 'mpeg-ps', label: 'MPEG program stream' };
  // Transport streams (.ts, some .mpg) repeat a 0x47 sync byte every 188 bytes.
  if ([0, 1, 2].every((packet) => head[packet * MPEG_TS_PACKET_BYTES] === 0x47)) {
    return { container: 'mpeg-ts', label: 'MPEG transport stream' };
  }
  if (startsWith(head, MPEG_VIDEO_SEQUENCE_HEADER)) {
    return { container: 'mpeg-video', label: 'MPEG video elementary stream (no audio)' };
  }
  const mpegAudio = sniffMpegAudioSync(head);
  if (mpegAudio) return mpegAudio;
  if (looksLikeText(head)) return { container: 'text', label: 'plain text' };
  return undefined;
}

/** The container the first bytes of a file announce, or undefined when nothing is recognised. */
export function sniffContainer(head: Buffer): SniffedContainer | undefined {
  return sniff(head)?.container;
}

/** What the content looks like, in words for a rejection message. */
export function describeContent(head: Buffer): string {
  return sniff(head)?.label ?? 'unknown binary';
}
