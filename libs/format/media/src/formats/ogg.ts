// Ogg prober (Vorbis, Opus, FLAC and Speex in Ogg): the first packet of the stream's first page
// names the codec and gives channels and rate; the granule position of the stream's last page,
// found by scanning the tail, gives the duration. Ogg has no length field, so the tail is also
// where a cut-off upload shows: a last page that runs past the end of the file.
import { reject } from '@callintake/schemas';
import type { MediaFacts } from '@callintake/schemas';
import type { FormatProber, ProbeInput } from '../prober';
import { audioFacts } from './audio-facts';
import { ByteWindow } from './byte-window';
import { parseStreamInfo } from './flac';

const PAGE_HEADER_BYTES = 27;
const FLAG_BEGINNING_OF_STREAM = 0x02;
/** A page's granule position is -1 when no packet ends on it. */
const NO_GRANULE = -1n;

/** A page is at most 27 + 255 + 255 × 255 bytes, so a page that ends the file starts within this. */
const TAIL_BYTES = 66 * 1024;

/** Opus timestamps count at 48 kHz whatever the input rate was; ffprobe reports 48000. */
const OPUS_RATE_HZ = 48000;

interface OggPage {
  offset: number;
  flags: number;
  granule: bigint;
  serial: number;
  /** Lacing values: packet pieces of up to 255 bytes; one below 255 ends a packet. */
  segments: Buffer;
  bodyOffset: number;
  end: number;
}

interface OggAudio {
  codec: 'vorbis' | 'opus' | 'flac' | 'speex';
  serial: number;
  channels: number;
  sampleRateHz: number;
  /** Granule units per second. */
  granuleRate: number;
  /** Samples the decoder drops at the start (Opus pre-skip), in granule units. */
  preSkip: number;
}

function parsePageHeader(bytes: Buffer, at: number, fileOffset: number): OggPage | undefined {
  if (at + PAGE_HEADER_BYTES > bytes.length || bytes.toString('latin1', at, at + 4) !== 'OggS') {
    return undefined;
  }
  if (bytes[at + 4] !== 0) return undefined;
  const segmentCount = bytes[at + 26] ?? 0;
  if (at + PAGE_HEADER_BYTES + segmentCount > bytes.length) return undefined;
  const segments = bytes.subarray(at + PAGE_HEADER_BYTES, at + PAGE_HEADER_BYTES + segmentCount);
  const bodyBytes = segments.reduce((sum, lacing) => sum + lacing, 0);
  const bodyOffset = fileOffset + PAGE_HEADER_BYTES + segmentCount;
  return {
    offset: fileOffset,
    flags: bytes[at + 5] ?? 0,
    granule: bytes.readBigInt64LE(at + 6),
    serial: bytes.readUInt32LE(at + 14),
    segments,
    bodyOffset,
    end: bodyOffset + bodyBytes,
  };
}

const CRC_TABLE = Array.from({ length: 256 }, (_, index) => {
  let crc = index << 24;
  for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x80000000 ? (crc << 1) ^ 0x04c11db7 : crc << 1;
  return crc >>> 0;
});

/** Ogg's CRC-32 of a whole page, computed with the page's own CRC field taken as zero. */
function pageCrcMatches(page: Buffer): boolean {
  let crc = 0;
  for (let index = 0; index < page.length; index += 1) {
    const byte = index >= 22 && index < 26 ? 0 : (page[index] ?? 0);
    crc = ((crc << 8) ^ (CRC_TABLE[((crc >>> 24) ^ byte) & 0xff] ?? 0)) >>> 0;
  }
  return crc === page.readUInt32LE(22);
}

/** The identification header that starts a logical stream, or undefined for non-audio streams. */
function identifyAudio(packet: Buffer, serial: number): OggAudio | undefined {
  if (packet.length >= 16 && packet[0] === 0x01 && packet.toString('latin1', 1, 7) === 'vorbis') {
    const sampleRateHz = packet.readUInt32LE(12);
    return {
      codec: 'vorbis',
      serial,
      channels: packet[11] ?? 0,
      sampleRateHz,
      granuleRate: sampleRateHz,
      preSkip: 0,
    };
  }
  if (packet.length >= 19 && packet.toString('latin1', 0, 8) === 'OpusHead') {
    return {
      codec: 'opus',
      serial,
      channels: packet[9] ?? 0,
      sampleRateHz: OPUS_RATE_HZ,
      granuleRate: OPUS_RATE_HZ,
      preSkip: packet.readUInt16LE(10),
    };
  }
  if (packet.length >= 51 && packet[0] === 0x7f && packet.toString('latin1', 1, 5) === 'FLAC') {
    const info = parseStreamInfo(packet.subarray(17, 51));
    return {
      codec: 'flac',
      serial,
      channels: info.channels,
      sampleRateHz: info.sampleRateHz,
      granuleRate: info.sampleRateHz,
      preSkip: 0,
    };
  }
  if (packet.length >= 52 && packet.toString('latin1', 0, 8) === 'Speex   ') {
    const sampleRateHz = packet.readUInt32LE(36);
    return {
      codec: 'speex',
      serial,
      channels: packet.readUInt32LE(48),
      sampleRateHz,
      granuleRate: sampleRateHz,
      preSkip: 0,
    };
  }
  return undefined;
}

/** What a first packet that is not audio holds, for the "no audio" message. */
function describeStream(packet: Buffer): string {
  if (packet.toString('latin1', 1, 7) === 'theora') return 'Theora video';
  if (packet.toString('latin1', 0, 8) === 'fishead\0') return 'Skeleton';
  return 'an unknown codec';
}

/** Beginning-of-stream pages come first, one per logical stream: take the first audio one. */
async function findAudioStream(window: ByteWindow): Promise<OggAudio> {
  const others: string[] = [];
  let position = 0;
  for (;;) {
    const headerBytes = await window.bytes(position, PAGE_HEADER_BYTES + 255);
    const page = parsePageHeader(headerBytes, 0, position);
    if (!page) {
      if (position === 0) reject('corrupt-media', 'unreadable Ogg page header at offset 0');
      break;
    }
    if ((page.flags & FLAG_BEGINNING_OF_STREAM) === 0) {
      // A file cut from the middle of a stream (a live capture) lacks the headers that name the codec.
      if (position === 0)
        reject('corrupt-media', 'the first Ogg page does not begin a stream (no codec headers)');
      break;
    }
    if (page.end > window.sizeBytes) {
      reject(
        'corrupt-media',
        `truncated: the file ends inside the first page of the Ogg stream (offset ${position})`,
      );
    }
    const firstPacketEnd = page.segments.findIndex((lacing) => lacing < 255);
    const packetLength = page.segments
      .subarray(0, firstPacketEnd < 0 ? page.segments.length : firstPacketEnd + 1)
      .reduce((sum, lacing) => sum + lacing, 0);
    const packet = await window.bytes(page.bodyOffset, packetLength);
    const audio = identifyAudio(packet, page.serial);
    if (audio) {
      if (audio.channels === 0) reject('corrupt-media', `the ${audio.codec} header declares 0 channels`);
      if (audio.sampleRateHz === 0) {
        reject('corrupt-media', `the ${audio.codec} header declares a sample rate of 0 Hz`);
      }
      return audio;
    }
    others.push(describeStream(packet));
    position = page.end;
  }
  return reject(
    'corrupt-media',
    `no audio stream in the Ogg file${others.length ? ` (found ${others.join(', ')})` : ''}`,
  );
}

interface LastPosition {
  granule: bigint;
  /** A page nearer the end failed its CRC and was passed over. */
  damagedPageOffset?: number;
}

/**
 * The granule position of the stream's last complete page, scanning back from the end of the
 * file. Rejects a file whose final page runs past its end: the upload or the recording was cut.
 */
async function lastPosition(window: ByteWindow, input: ProbeInput, audio: OggAudio): Promise<LastPosition> {
  const { sizeBytes } = window;
  const tailLength = Math.min(TAIL_BYTES, sizeBytes, input.remainingBudget());
  const { offset: tailOffset, bytes: tail } = await window.tail(tailLength);
  let sawPage = false;
  let damagedPageOffset: number | undefined;
  for (let at = tail.lastIndexOf('OggS'); at >= 0; at = at > 0 ? tail.lastIndexOf('OggS', at - 1) : -1) {
    const page = parsePageHeader(tail, at, tailOffset + at);
    if (!page) continue;
    if (page.end > sizeBytes) {
      if (!sawPage) {
        reject(
          'corrupt-media',
          `truncated: the last Ogg page (offset ${page.offset}) declares ${page.end - page.offset} bytes but only ${sizeBytes - page.offset} are present`,
        );
      }
      continue;
    }
    const pageBytes = tail.subarray(at, at + (page.end - page.offset));
    if (pageBytes.length < page.end - page.offset) continue;
    if (!pageCrcMatches(pageBytes)) {
      // One damaged page loses a moment of audio, not the call: players skip it, and so do we.
      damagedPageOffset ??= page.offset;
      continue;
    }
    sawPage = true;
    if (page.serial === audio.serial && page.granule !== NO_GRANULE) {
      return { granule: page.granule, damagedPageOffset };
    }
  }
  return reject(
    'corrupt-media',
    `no complete page of the ${audio.codec} stream with a granule position in the last ${tail.length} bytes of the Ogg file`,
  );
}

async function probeOgg(input: ProbeInput): Promise<MediaFacts> {
  const window = new ByteWindow(input);
  const audio = await findAudioStream(window);
  const { granule, damagedPageOffset } = await lastPosition(window, input, audio);
  const samples = Number(granule) - audio.preSkip;
  if (samples <= 0) {
    // Only header pages are left: either there never was audio, or the damaged page held it.
    if (damagedPageOffset !== undefined) {
      reject('corrupt-media', `the Ogg page at offset ${damagedPageOffset} fails its CRC check`);
    }
    reject('empty-file', `the Ogg ${audio.codec} stream holds no audio, only headers`);
  }
  return audioFacts({
    container: 'ogg',
    codec: audio.codec,
    durationSec: samples / audio.granuleRate,
    channels: audio.channels,
    sampleRateHz: audio.sampleRateHz,
    sizeBytes: input.sizeBytes,
  });
}

export const oggProber: FormatProber = {
  expected: 'Ogg (Vorbis, Opus, FLAC or Speex)',
  signatures: ['ogg'],
  probe: probeOgg,
};
