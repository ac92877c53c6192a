// ASF prober (.wma, .wmv, .asf): walks the Header Object's children (File Properties, Stream
// Properties, and the Header Extension's Extended Stream Properties) with bounded reads; the Data
// Object is only checked for presence and size, never read.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import { ReadBudgetExceededError } from '../prober';
import type { FormatProber, ProbeInput } from '../prober';
import { audioFacts } from './audio-facts';
import { ByteWindow } from './byte-window';
import { parseWaveFormatEx, WAVE_FORMAT_BYTES, waveFormatCodecName } from './wave-format';
import type { WaveFormatEx } from './wave-format';

/** GUIDs as they sit in the file: the first three fields little-endian. */
function guid(text: string): Buffer {
  const hex = text.replace(/-/g, '');
  const swap = (from: number, length: number): string =>
    (hex.slice(from, from + length).match(/../g) ?? []).reverse().join('');
  return Buffer.from(swap(0, 8) + swap(8, 4) + swap(12, 4) + hex.slice(16), 'hex');
}

const GUID = {
  header: guid('75B22630-668E-11CF-A6D9-00AA0062CE6C'),
  data: guid('75B22636-668E-11CF-A6D9-00AA0062CE6C'),
  fileProperties: guid('8CABDCA1-A947-11CF-8EE4-00C00C205365'),
  streamProperties: guid('B7DC0791-A9B7-11CF-8EE6-00C00C205365'),
  headerExtension: guid('5FBF03B5-A92E-11CF-8EE3-00C00C205365'),
  extendedStreamProperties: guid('14E6A5CB-C672-4332-8399-A96952065B5A'),
  // Often misquoted as ...44B2; the specification and every writer end it in 2B.
  audioMedia: guid('F8699E40-5B4D-11CF-A8FD-00805F5C442B'),
} as const;

/** GUID and 64-bit size, in front of every object. */
const OBJECT_HEADER_BYTES = 24;
/** Header Object: object header, number of header objects (4), two reserved bytes. */
const HEADER_OBJECT_BYTES = 30;
/** Header Extension: object header, reserved GUID (16), reserved (2), data size (4). */
const HEADER_EXTENSION_PREFIX_BYTES = 46;
/** File Properties through Flags: object header, 16 + 8 * 6 bytes of fields, 4-byte flags. */
const FILE_PROPERTIES_BYTES = 92;
/** Stream Properties' fixed part, before its type-specific data. */
const STREAM_PROPERTIES_FIXED_BYTES = 78;
/** Extended Stream Properties' fixed part, before stream names and payload extension systems. */
const EXTENDED_STREAM_PROPERTIES_FIXED_BYTES = 88;
/** Data Object: object header, file id (16), total data packets (8), reserved (2). */
const DATA_OBJECT_BYTES = 50;
/** Extended Stream Properties are a few hundred bytes; cover art lives in other objects we skip. */
const MAX_STREAM_OBJECT_BYTES = 64 * 1024;

const FLAG_BROADCAST = 0x1;

interface FileProperties {
  /** 100-ns units; includes the preroll. */
  playDuration: number;
  prerollMs: number;
  broadcast: boolean;
}

interface AudioStream {
  streamNumber: number;
  format: WaveFormatEx;
}

interface AsfObject {
  guid: Buffer;
  offset: number;
  size: number;
}

function u64(bytes: Buffer, at: number): number {
  return Number(bytes.readBigUInt64LE(at));
}

function describeGuid(bytes: Buffer): string {
  return bytes.toString('hex');
}

/** One object header inside [start, end), checked against its parent. */
async function objectAt(window: ByteWindow, offset: number, end: number, parent: string): Promise<AsfObject> {
  const bytes = await window.bytes(offset, OBJECT_HEADER_BYTES);
  if (bytes.length < OBJECT_HEADER_BYTES || offset + OBJECT_HEADER_BYTES > end) {
    return reject(
      'corrupt-media',
      `malformed ${parent}: it ends inside an object header at offset ${offset}`,
    );
  }
  const size = u64(bytes, 16);
  if (size < OBJECT_HEADER_BYTES || offset + size > end) {
    return reject(
      'corrupt-media',
      `malformed ${parent}: object ${describeGuid(bytes.subarray(0, 16))} at offset ${offset} declares ${size} bytes`,
    );
  }
  return { guid: bytes.subarray(0, 16), offset, size };
}

/** A Stream Properties Object's audio format, or undefined for a video, script or other stream. */
function parseStreamProperties(body: Buffer): AudioStream | undefined {
  if (body.length < STREAM_PROPERTIES_FIXED_BYTES) {
    return reject('corrupt-media', `Stream Properties object is ${body.length} bytes; it needs 78`);
  }
  if (!body.subarray(24, 40).equals(GUID.audioMedia)) return undefined;
  const typeSpecificBytes = body.readUInt32LE(64);
  const streamNumber = body.readUInt16LE(72) & 0x7f;
  const typeSpecific = body.subarray(
    STREAM_PROPERTIES_FIXED_BYTES,
    STREAM_PROPERTIES_FIXED_BYTES + typeSpecificBytes,
  );
  if (typeSpecific.length < WAVE_FORMAT_BYTES) {
    return reject(
      'corrupt-media',
      `audio stream ${streamNumber} has no WAVEFORMATEX (${typeSpecific.length} bytes)`,
    );
  }
  return { streamNumber, format: parseWaveFormatEx(typeSpecific) };
}

/** Extended Stream Properties may end with the stream's own Stream Properties Object (ASF 2.0 §4.1). */
function parseExtendedStreamProperties(body: Buffer): AudioStream | undefined {
  if (body.length < EXTENDED_STREAM_PROPERTIES_FIXED_BYTES) return undefined;
  const nameCount = body.readUInt16LE(84);
  const extensionSystemCount = body.readUInt16LE(86);
  let at = EXTENDED_STREAM_PROPERTIES_FIXED_BYTES;
  for (let index = 0; index < nameCount; index += 1) {
    if (at + 4 > body.length) return undefined;
    at += 4 + body.readUInt16LE(at + 2);
  }
  for (let index = 0; index < extensionSystemCount; index += 1) {
    if (at + 22 > body.length) return undefined;
    at += 22 + body.readUInt32LE(at + 18);
  }
  if (at + OBJECT_HEADER_BYTES > body.length || !body.subarray(at, at + 16).equals(GUID.streamProperties)) {
    return undefined;
  }
  return parseStreamProperties(body.subarray(at, Math.min(body.length, at + u64(body, at + 16))));
}

async function probeAsf(input: ProbeInput): Promise<MediaFacts> {
  const { sizeBytes, head, budgetBytes } = input;
  const window = new ByteWindow(input);
  if (head.length < HEADER_OBJECT_BYTES) {
    reject('corrupt-media', 'truncated: the file ends inside the ASF header');
  }
  const headerSize = u64(head, 16);
  if (headerSize < HEADER_OBJECT_BYTES) {
    reject('corrupt-media', `ASF header object declares ${headerSize} bytes`);
  }
  if (headerSize > sizeBytes) {
    reject(
      'corrupt-media',
      `truncated: the ASF header declares ${headerSize} bytes but the file has only ${sizeBytes}`,
    );
  }

  let fileProperties: FileProperties | undefined;
  const audioStreams: AudioStream[] = [];
  let streamCount = 0;

  try {
    let offset = HEADER_OBJECT_BYTES;
    while (offset < headerSize) {
      const object = await objectAt(window, offset, headerSize, 'ASF header');
      if (object.guid.equals(GUID.fileProperties)) {
        const body = await window.bytes(offset, FILE_PROPERTIES_BYTES);
        if (body.length < FILE_PROPERTIES_BYTES || object.size < FILE_PROPERTIES_BYTES) {
          reject(
            'corrupt-media',
            `File Properties object is ${object.size} bytes; it needs ${FILE_PROPERTIES_BYTES}`,
          );
        }
        fileProperties = {
          playDuration: u64(body, 64),
          prerollMs: u64(body, 80),
          broadcast: (body.readUInt32LE(88) & FLAG_BROADCAST) !== 0,
        };
      } else if (object.guid.equals(GUID.streamProperties)) {
        streamCount += 1;
        // The fixed part and a WAVEFORMATEX's fixed fields: a video stream's extra data can be large.
        const body = await window.bytes(
          offset,
          Math.min(object.size, STREAM_PROPERTIES_FIXED_BYTES + WAVE_FORMAT_BYTES),
        );
        const stream = parseStreamProperties(body);
        if (stream) audioStreams.push(stream);
      } else if (object.guid.equals(GUID.headerExtension)) {
        const prefix = await window.bytes(offset, HEADER_EXTENSION_PREFIX_BYTES);
        if (prefix.length < HEADER_EXTENSION_PREFIX_BYTES) {
          reject('corrupt-media', 'truncated: the file ends inside the Header Extension object');
        }
        const extensionEnd = offset + HEADER_EXTENSION_PREFIX_BYTES + prefix.readUInt32LE(42);
        if (extensionEnd > offset + object.size) {
          reject(
            'corrupt-media',
            `malformed Header Extension object at offset ${offset}: its data overruns it`,
          );
        }
        let at = offset + HEADER_EXTENSION_PREFIX_BYTES;
        while (at < extensionEnd) {
          const child = await objectAt(window, at, extensionEnd, 'Header Extension object');
          // A few hundred bytes in every writer's files; anything far larger is not worth the budget.
          if (child.guid.equals(GUID.extendedStreamProperties) && child.size <= MAX_STREAM_OBJECT_BYTES) {
            const stream = parseExtendedStreamProperties(await window.bytes(at, child.size));
            if (stream) {
              streamCount += 1;
              audioStreams.push(stream);
            }
          }
          at += child.size;
        }
      }
      offset += object.size;
    }
  } catch (error) {
    if (!(error instanceof ReadBudgetExceededError)) throw error;
    reject('corrupt-media', `could not read the ASF header objects within ${budgetBytes} bytes`);
  }

  if (!fileProperties) return reject('corrupt-media', 'no File Properties object in the ASF header');
  const audio = audioStreams[0];
  if (!audio) {
    return reject(
      'corrupt-media',
      streamCount > 0 ? 'no audio track' : 'no audio track: the ASF header lists no streams',
    );
  }
  const { format } = audio;
  if (format.channels === 0) {
    reject('corrupt-media', `audio stream ${audio.streamNumber} declares 0 channels`);
  }
  if (format.sampleRateHz === 0) {
    reject('corrupt-media', `audio stream ${audio.streamNumber} declares a sample rate of 0 Hz`);
  }

  // The media sit in the Data Object right after the header. A writer that streamed (broadcast flag)
  // could not know its sizes; otherwise a Data Object larger than what is left means a cut copy.
  const dataHeader = await window.bytes(headerSize, DATA_OBJECT_BYTES);
  if (dataHeader.length < DATA_OBJECT_BYTES || !dataHeader.subarray(0, 16).equals(GUID.data)) {
    reject('corrupt-media', 'truncated: no Data object after the ASF header');
  }
  const dataSize = u64(dataHeader, 16);
  const dataPresent = sizeBytes - headerSize;
  if (!fileProperties.broadcast && dataSize > dataPresent) {
    reject(
      'corrupt-media',
      `truncated: the Data object declares ${dataSize} bytes but only ${dataPresent} are present`,
    );
  }
  // Judged by the bytes, not the packet count: a writer that crashed leaves its placeholder 0 there.
  if (dataPresent <= DATA_OBJECT_BYTES) {
    reject('empty-file', 'the ASF holds no audio: its Data object has no packets');
  }

  // Play duration counts the preroll the player buffers before the first sample; ffprobe subtracts it.
  const seconds = fileProperties.broadcast
    ? undefined
    : fileProperties.playDuration / 1e7 - fileProperties.prerollMs / 1000;

  return audioFacts({
    container: 'asf',
    codec: waveFormatCodecName(format),
    ...(seconds !== undefined && seconds > 0 ? { durationSec: seconds } : {}),
    channels: format.channels,
    sampleRateHz: format.sampleRateHz,
    sizeBytes,
  });
}

export const asfProber: FormatProber = {
  expected: 'WMA/WMV (ASF)',
  signatures: ['asf'],
  probe: probeAsf,
};
