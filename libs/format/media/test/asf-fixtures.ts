// Builders for hand-made ASF (WMA/WMV) headers, shared by the ASF tests: the Header Object with its
// File Properties, Stream Properties and Header Extension children, then a Data Object.

/** GUIDs as they sit in the file: the first three fields little-endian. */
export function asfGuid(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  const swap = (from: number, length: number): string =>
    (hex.slice(from, from + length).match(/../g) ?? []).reverse().join('');
  return Buffer.from(swap(0, 8) + swap(8, 4) + swap(12, 4) + hex.slice(16), 'hex');
}

export const ASF_GUID = {
  header: asfGuid('75B22630-668E-11CF-A6D9-00AA0062CE6C'),
  data: asfGuid('75B22636-668E-11CF-A6D9-00AA0062CE6C'),
  fileProperties: asfGuid('8CABDCA1-A947-11CF-8EE4-00C00C205365'),
  streamProperties: asfGuid('B7DC0791-A9B7-11CF-8EE6-00C00C205365'),
  headerExtension: asfGuid('5FBF03B5-A92E-11CF-8EE3-00C00C205365'),
  extendedStreamProperties: asfGuid('14E6A5CB-C672-4332-8399-A96952065B5A'),
  metadataLibrary: asfGuid('44231C94-9498-49D1-A141-1D134E457054'),
  audioMedia: asfGuid('F8699E40-5B4D-11CF-A8FD-00805F5C442B'),
  videoMedia: asfGuid('BC19EFC0-5B4D-11CF-A8FD-00805F5C442B'),
  noErrorCorrection: asfGuid('20FB5700-5B55-11CF-A8FD-00805F5C442B'),
  reserved1: asfGuid('ABD3D211-A9BA-11CF-8EE6-00C00C205365'),
} as const;

function u64(value: number): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64LE(BigInt(value), 0);
  return bytes;
}

export function asfObject(guid: Buffer, ...body: Buffer[]): Buffer {
  const data = Buffer.concat(body);
  return Buffer.concat([guid, u64(24 + data.length), data]);
}

export interface FilePropertiesFields {
  fileSize: number;
  /** 100-ns units, preroll included. */
  playDuration: number;
  prerollMs: number;
  dataPackets: number;
  /** Bit 0 broadcast, bit 1 seekable. */
  flags?: number;
  packetSize?: number;
}

export function fileProperties(fields: FilePropertiesFields): Buffer {
  const body = Buffer.alloc(80);
  // File ID (16) left zero.
  body.writeBigUInt64LE(BigInt(fields.fileSize), 16);
  body.writeBigUInt64LE(0n, 24); // creation date
  body.writeBigUInt64LE(BigInt(fields.dataPackets), 32);
  body.writeBigUInt64LE(BigInt(fields.playDuration), 40);
  body.writeBigUInt64LE(BigInt(fields.playDuration), 48); // send duration
  body.writeBigUInt64LE(BigInt(fields.prerollMs), 56);
  body.writeUInt32LE(fields.flags ?? 0x2, 64);
  body.writeUInt32LE(fields.packetSize ?? 3200, 68);
  body.writeUInt32LE(fields.packetSize ?? 3200, 72);
  body.writeUInt32LE(128_000, 76);
  return asfObject(ASF_GUID.fileProperties, body);
}

export interface WaveFormatFields {
  formatTag: number;
  channels: number;
  sampleRateHz: number;
  bitsPerSample?: number;
  blockAlign?: number;
  byteRate?: number;
  /** Codec-specific bytes after cbSize. */
  extra?: Buffer;
}

export function waveFormatEx(fields: WaveFormatFields): Buffer {
  const extra = fields.extra ?? Buffer.alloc(0);
  const format = Buffer.alloc(18);
  format.writeUInt16LE(fields.formatTag, 0);
  format.writeUInt16LE(fields.channels, 2);
  format.writeUInt32LE(fields.sampleRateHz, 4);
  format.writeUInt32LE(fields.byteRate ?? 16_000, 8);
  format.writeUInt16LE(fields.blockAlign ?? 1486, 12);
  format.writeUInt16LE(fields.bitsPerSample ?? 16, 14);
  format.writeUInt16LE(extra.length, 16);
  return Buffer.concat([format, extra]);
}

/** ASF video type-specific data: 160x120, then a BITMAPINFOHEADER for WMV2. */
function videoFormat(): Buffer {
  const data = Buffer.alloc(51);
  data.writeUInt32LE(160, 0);
  data.writeUInt32LE(120, 4);
  data.writeUInt16LE(40, 9);
  data.writeUInt32LE(40, 11);
  data.writeInt32LE(160, 15);
  data.writeInt32LE(120, 19);
  data.writeUInt16LE(1, 23);
  data.writeUInt16LE(24, 25);
  data.write('WMV2', 27, 'latin1');
  return data;
}

/** A Stream Properties Object: audio with a WAVEFORMATEX, or a video stream with dummy data. */
export function streamProperties(streamNumber: number, audio?: WaveFormatFields): Buffer {
  const typeSpecific = audio ? waveFormatEx(audio) : videoFormat();
  const fixed = Buffer.alloc(54);
  (audio ? ASF_GUID.audioMedia : ASF_GUID.videoMedia).copy(fixed, 0);
  ASF_GUID.noErrorCorrection.copy(fixed, 16);
  fixed.writeBigUInt64LE(0n, 32); // time offset
  fixed.writeUInt32LE(typeSpecific.length, 40);
  fixed.writeUInt32LE(0, 44); // error correction data length
  fixed.writeUInt16LE(streamNumber, 48);
  return asfObject(ASF_GUID.streamProperties, fixed, typeSpecific);
}

/** Extended Stream Properties with a stream name, a payload extension system, and an embedded stream. */
export function extendedStreamProperties(streamNumber: number, embedded?: Buffer): Buffer {
  const fixed = Buffer.alloc(64);
  fixed.writeUInt32LE(128_000, 16); // data bitrate
  fixed.writeUInt16LE(streamNumber, 48);
  fixed.writeUInt16LE(1, 60); // stream name count
  fixed.writeUInt16LE(1, 62); // payload extension system count
  const name = Buffer.from('A\0u\0d\0i\0o\0', 'latin1');
  const nameEntry = Buffer.concat([Buffer.from([0, 0, name.length, 0]), name]);
  const extensionSystem = Buffer.concat([
    Buffer.alloc(16, 0x11),
    Buffer.from([0xff, 0xff]),
    Buffer.from([3, 0, 0, 0]),
    Buffer.from('abc'),
  ]);
  return asfObject(
    ASF_GUID.extendedStreamProperties,
    fixed,
    nameEntry,
    extensionSystem,
    embedded ?? Buffer.alloc(0),
  );
}

export function headerExtension(...objects: Buffer[]): Buffer {
  const data = Buffer.concat(objects);
  const prefix = Buffer.alloc(22);
  ASF_GUID.reserved1.copy(prefix, 0);
  prefix.writeUInt16LE(6, 16);
  prefix.writeUInt32LE(data.length, 18);
  return asfObject(ASF_GUID.headerExtension, prefix, data);
}

export function headerObject(objects: Buffer[], declaredSize?: number): Buffer {
  const data = Buffer.concat(objects);
  const header = Buffer.alloc(30);
  ASF_GUID.header.copy(header, 0);
  header.writeBigUInt64LE(BigInt(declaredSize ?? 30 + data.length), 16);
  header.writeUInt32LE(objects.length, 24);
  header[28] = 0x01;
  header[29] = 0x02;
  return Buffer.concat([header, data]);
}

/** The Data Object's 50-byte header; its packets follow (zeros here). */
export function dataObjectHeader(packets: number, packetSize: number): Buffer {
  const header = Buffer.alloc(50);
  ASF_GUID.data.copy(header, 0);
  header.writeBigUInt64LE(BigInt(50 + packets * packetSize), 16);
  header.writeBigUInt64LE(BigInt(packets), 40);
  header[48] = 0x01;
  header[49] = 0x01;
  return header;
}

export interface AsfFileOptions {
  /** Header objects other than File Properties, in order. */
  objects: Buffer[];
  playDuration: number;
  prerollMs?: number;
  flags?: number;
  packets?: number;
  packetSize?: number;
}

/** A whole small ASF file: header, Data Object of zeroed packets; File Properties agrees with it. */
export function asfFile(options: AsfFileOptions): Buffer {
  const packets = options.packets ?? 4;
  const packetSize = options.packetSize ?? 3200;
  const build = (fileSize: number): Buffer =>
    headerObject([
      fileProperties({
        fileSize,
        playDuration: options.playDuration,
        prerollMs: options.prerollMs ?? 0,
        dataPackets: packets,
        flags: options.flags,
        packetSize,
      }),
      ...options.objects,
    ]);
  const headerBytes = build(0).length;
  const fileSize = headerBytes + 50 + packets * packetSize;
  return Buffer.concat([
    build(fileSize),
    dataObjectHeader(packets, packetSize),
    Buffer.alloc(packets * packetSize),
  ]);
}
