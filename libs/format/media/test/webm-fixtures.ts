// Builders for hand-made EBML (WebM/Matroska) files, shared by the WebM tests: element trees with
// known or unknown sizes, SeekHeads, and Clusters of blocks.

export const EBML_ID = {
  Segment: 0x18538067,
  SeekHead: 0x114d9b74,
  Info: 0x1549a966,
  Tracks: 0x1654ae6b,
  Cluster: 0x1f43b675,
  Cues: 0x1c53bb6b,
  Void: 0xec,
} as const;

/** "Size unknown", as live writers leave Segment and Cluster sizes. */
export const UNKNOWN_SIZE = Buffer.from('01ffffffffffffff', 'hex');

function bigEndian(value: number, minLength = 1): Buffer {
  const bytes: number[] = [];
  for (let rest = value; rest > 0; rest = Math.floor(rest / 256)) bytes.unshift(rest % 256);
  while (bytes.length < minLength) bytes.unshift(0);
  return Buffer.from(bytes);
}

/** A non-negative signed integer: a leading zero byte keeps the sign bit clear. */
function signed(value: number): Buffer {
  const bytes = bigEndian(value);
  return ((bytes[0] ?? 0) & 0x80) !== 0 ? Buffer.concat([Buffer.alloc(1), bytes]) : bytes;
}

export function ebmlSize(size: number): Buffer {
  let length = 1;
  while (size >= 2 ** (7 * length) - 1) length += 1;
  const bytes = bigEndian(size, length);
  bytes[0] = (bytes[0] ?? 0) | (0x80 >> (length - 1));
  return bytes;
}

export function element(id: number, ...body: Buffer[]): Buffer {
  const data = Buffer.concat(body);
  return Buffer.concat([bigEndian(id), ebmlSize(data.length), data]);
}

/** An element whose size says "unknown": its children run until its parent's next child. */
export function unknownSizeElement(id: number, ...body: Buffer[]): Buffer {
  return Buffer.concat([bigEndian(id), UNKNOWN_SIZE, ...body]);
}

/** The header of a known-size element whose data is not built (a huge Cluster in a virtual file). */
export function elementHeader(id: number, size: number): Buffer {
  return Buffer.concat([bigEndian(id), ebmlSize(size)]);
}

export function uint(id: number, value: number): Buffer {
  return element(id, bigEndian(value));
}

export function float(id: number, value: number, bytes: 4 | 8 = 8): Buffer {
  const data = Buffer.alloc(bytes);
  if (bytes === 4) data.writeFloatBE(value, 0);
  else data.writeDoubleBE(value, 0);
  return element(id, data);
}

export function text(id: number, value: string): Buffer {
  return element(id, Buffer.from(value, 'latin1'));
}

export function ebmlHeader(docType = 'webm'): Buffer {
  return element(
    0x1a45dfa3,
    uint(0x4286, 1),
    uint(0x42f7, 1),
    uint(0x42f2, 4),
    uint(0x42f3, 8),
    text(0x4282, docType),
    uint(0x4287, 4),
    uint(0x4285, 2),
  );
}

export function info(
  options: { durationMs?: number; durationBytes?: 4 | 8; timestampScaleNs?: number } = {},
): Buffer {
  return element(
    EBML_ID.Info,
    uint(0x2ad7b1, options.timestampScaleNs ?? 1_000_000),
    text(0x4d80, 'callintake-test'),
    ...(options.durationMs === undefined ? [] : [float(0x4489, options.durationMs, options.durationBytes)]),
  );
}

export interface TrackSpec {
  number: number;
  type: 'audio' | 'video';
  codecId: string;
  channels?: number;
  samplingFrequency?: number;
  outputSamplingFrequency?: number;
  bitDepth?: number;
  codecPrivate?: Buffer;
  defaultDurationNs?: number;
}

export function trackEntry(spec: TrackSpec): Buffer {
  const audio = [
    ...(spec.samplingFrequency === undefined ? [] : [float(0xb5, spec.samplingFrequency)]),
    ...(spec.outputSamplingFrequency === undefined ? [] : [float(0x78b5, spec.outputSamplingFrequency)]),
    ...(spec.channels === undefined ? [] : [uint(0x9f, spec.channels)]),
    ...(spec.bitDepth === undefined ? [] : [uint(0x6264, spec.bitDepth)]),
  ];
  return element(
    0xae,
    uint(0xd7, spec.number),
    uint(0x73c5, spec.number * 1000),
    uint(0x83, spec.type === 'audio' ? 2 : 1),
    text(0x86, spec.codecId),
    ...(spec.codecPrivate ? [element(0x63a2, spec.codecPrivate)] : []),
    ...(spec.defaultDurationNs ? [uint(0x23e383, spec.defaultDurationNs)] : []),
    ...(spec.type === 'audio'
      ? [element(0xe1, ...audio)]
      : [element(0xe0, uint(0xb0, 320), uint(0xba, 240))]),
  );
}

export function tracks(...specs: TrackSpec[]): Buffer {
  return element(EBML_ID.Tracks, ...specs.map(trackEntry));
}

/** OpusHead (RFC 7845 §5.1), which ffmpeg needs to open an Opus track. */
export function opusHead(channels: number, inputSampleRateHz = 48000): Buffer {
  const head = Buffer.alloc(19);
  head.write('OpusHead', 0, 'latin1');
  head[8] = 1;
  head[9] = channels;
  head.writeUInt16LE(312, 10);
  head.writeUInt32LE(inputSampleRateHz, 12);
  return head;
}

export function seekHead(entries: Array<[id: number, position: number]>): Buffer {
  return element(
    EBML_ID.SeekHead,
    // Eight-byte positions, as mkvmerge writes them: the SeekHead's size does not depend on them.
    ...entries.map(([id, position]) =>
      element(0x4dbb, element(0x53ab, bigEndian(id)), element(0x53ac, bigEndian(position, 8))),
    ),
  );
}

export function simpleBlock(track: number, relativeTimestamp: number, payload: Buffer, flags = 0x80): Buffer {
  const header = Buffer.alloc(4);
  header[0] = 0x80 | track;
  header.writeInt16BE(relativeTimestamp, 1);
  header[3] = flags;
  return element(0xa3, header, payload);
}

export function blockGroup(
  track: number,
  relativeTimestamp: number,
  payload: Buffer,
  options: { durationTicks?: number; discardPaddingNs?: number } = {},
): Buffer {
  const header = Buffer.alloc(4);
  header[0] = 0x80 | track;
  header.writeInt16BE(relativeTimestamp, 1);
  return element(
    0xa0,
    element(0xa1, header, payload),
    ...(options.durationTicks === undefined ? [] : [uint(0x9b, options.durationTicks)]),
    ...(options.discardPaddingNs === undefined ? [] : [element(0x75a2, signed(options.discardPaddingNs))]),
  );
}

export function cluster(
  timestamp: number,
  blocks: Buffer[],
  options: { unknownSize?: boolean } = {},
): Buffer {
  const body = [uint(0xe7, timestamp), ...blocks];
  return options.unknownSize
    ? unknownSizeElement(EBML_ID.Cluster, ...body)
    : element(EBML_ID.Cluster, ...body);
}

/** An Opus packet of one 20 ms CELT frame (TOC config 31, code 0), padded with zeros. */
export function opusPacket(bytes = 40): Buffer {
  const packet = Buffer.alloc(bytes);
  packet[0] = 31 << 3;
  return packet;
}

/** `count` Opus blocks 20 ms apart from `firstRelative`, as a live recorder writes them. */
export function opusBlocks(track: number, count: number, firstRelative = 0): Buffer[] {
  return Array.from({ length: count }, (_, index) =>
    simpleBlock(track, firstRelative + index * 20, opusPacket()),
  );
}

export function segment(children: Buffer[], options: { unknownSize?: boolean } = {}): Buffer {
  return options.unknownSize
    ? unknownSizeElement(EBML_ID.Segment, ...children)
    : element(EBML_ID.Segment, ...children);
}

export function webmFile(
  children: Buffer[],
  options: { docType?: string; unknownSize?: boolean } = {},
): Buffer {
  return Buffer.concat([ebmlHeader(options.docType), segment(children, options)]);
}
