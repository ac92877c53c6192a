// WAV probing with bounded ranged reads (probeMedia over a local RangeReader, counted) against
// what a naive prober does: read each whole file. With ffprobe on PATH, also one spawn of
// ffprobe per file. The files are generated (5–60 s, 8/16 kHz, mono/stereo) and sit in the page
// cache, so this measures CPU and copies, not the disk; over SFTP or S3 every byte also costs
// a transfer.
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access, open, readFile, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { countingReader, encodeWav, probeMedia, type RangeReader } from '@callintake/media';
import type { FileHandle } from 'node:fs/promises';
import { perSecond, type Benchmark, type BenchRow, type Measured } from './harness';

const FILE_COUNT = 200;
/** Each side probes every file this many times; the fastest round is reported (least disturbed). */
const ROUNDS = 5;
const FORMATS = [
  { sampleRateHz: 8000, channels: 1 },
  { sampleRateHz: 8000, channels: 2 },
  { sampleRateHz: 16000, channels: 1 },
  { sampleRateHz: 16000, channels: 2 },
] as const;

interface Sample {
  path: string;
  sizeBytes: number;
}

interface Round {
  bytesRead: number;
  reads: number;
}

/** Durations 5–60 s, spread evenly but in a shuffled order (a fixed LCG, so every run is alike). */
function durations(count: number): number[] {
  let seed = 12345;
  return Array.from({ length: count }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return 5 + (seed % 56);
  });
}

function handleReader(handle: FileHandle, sizeBytes: number): RangeReader {
  return {
    sizeBytes,
    async read(offset, length) {
      const wanted = Math.max(0, Math.min(length, sizeBytes - offset));
      const buffer = Buffer.allocUnsafe(wanted);
      let filled = 0;
      while (filled < wanted) {
        const { bytesRead } = await handle.read(buffer, filled, wanted - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      return buffer.subarray(0, filled);
    },
  };
}

async function probeAll(samples: Sample[]): Promise<Round> {
  const round: Round = { bytesRead: 0, reads: 0 };
  for (const sample of samples) {
    const handle = await open(sample.path, 'r');
    try {
      const { size } = await handle.stat();
      const reader = countingReader(handleReader(handle, size));
      const facts = await probeMedia(reader, { extension: 'wav' });
      if (!facts.probed) throw new Error(`${sample.path} was not probed`);
      round.bytesRead += reader.bytesRead;
      round.reads += reader.reads;
    } finally {
      await handle.close();
    }
  }
  return round;
}

async function readAll(samples: Sample[]): Promise<Round> {
  const round: Round = { bytesRead: 0, reads: 0 };
  for (const sample of samples) {
    round.bytesRead += (await readFile(sample.path)).length;
    round.reads += 1;
  }
  return round;
}

async function onPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env['PATH'] ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, command);
    const found = await access(candidate, constants.X_OK).then(
      () => true,
      () => false,
    );
    if (found) return candidate;
  }
  return undefined;
}

function ffprobeOnce(binary: string, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, ['-v', 'quiet', '-print_format', 'json', '-show_streams', path], {
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    child.stdout.resume();
    child.once('error', reject);
    child.once('exit', (code) =>
      code === 0 ? resolve() : reject(new Error(`ffprobe exited ${code} on ${path}`)),
    );
  });
}

async function ffprobeAll(binary: string, samples: Sample[]): Promise<Round> {
  for (const sample of samples) await ffprobeOnce(binary, sample.path);
  return { bytesRead: Number.NaN, reads: Number.NaN };
}

/** Runs `rounds` measured rounds and keeps the fastest; peak RSS is the highest of all. */
async function bestOf(
  measure: <T>(work: () => Promise<T>) => Promise<Measured<T>>,
  rounds: number,
  work: () => Promise<Round>,
): Promise<Measured<Round>> {
  let best: Measured<Round> | undefined;
  let peakRssBytes = 0;
  let memoryGrowthBytes = 0;
  for (let round = 0; round < rounds; round++) {
    const measured = await measure(work);
    peakRssBytes = Math.max(peakRssBytes, measured.peakRssBytes);
    memoryGrowthBytes = Math.max(memoryGrowthBytes, measured.memoryGrowthBytes);
    if (!best || measured.ms < best.ms) best = measured;
  }
  return { ...(best as Measured<Round>), peakRssBytes, memoryGrowthBytes };
}

function rows(ours: Measured<Round>, baselines: Array<Measured<Round>>): BenchRow[] {
  // NaN marks a figure a side does not have (ffprobe's bytes and memory).
  const row = (metric: string, unit: string, pick: (side: Measured<Round>) => number): BenchRow => ({
    metric,
    unit,
    ours: pick(ours),
    baselines: baselines.map((side) => {
      const value = pick(side);
      return Number.isNaN(value) ? null : value;
    }),
  });
  return [
    row('throughput', 'files/s', (side) => perSecond(FILE_COUNT, side.ms)),
    row(`time for ${FILE_COUNT} files`, 'ms', (side) => side.ms),
    row('bytes read per file', 'bytes', (side) => side.value.bytesRead / FILE_COUNT),
    row('reads per file', 'count', (side) => side.value.reads / FILE_COUNT),
    row('peak RSS', 'bytes', (side) => side.peakRssBytes),
    row('memory growth', 'bytes', (side) => side.memoryGrowthBytes),
  ];
}

const bench: Benchmark = {
  name: 'probe',
  description: `WAV probing of ${FILE_COUNT} generated files (5–60 s, 8/16 kHz, mono/stereo): probeMedia with ranged reads vs reading whole files`,
  async run(ctx) {
    const dir = await ctx.tempDir('probe');
    const samples: Sample[] = [];
    let totalBytes = 0;
    const started = performance.now();
    for (const [index, durationSec] of durations(FILE_COUNT).entries()) {
      const format = FORMATS[index % FORMATS.length] as (typeof FORMATS)[number];
      const wav = encodeWav({ ...format, durationSec });
      const path = join(dir, `20240312-101500_outbound_${index}.wav`);
      await writeFile(path, wav);
      samples.push({ path, sizeBytes: wav.length });
      totalBytes += wav.length;
    }
    ctx.log(
      `setup: encoded ${FILE_COUNT} WAVs, ${(totalBytes / 1024 ** 2).toFixed(0)} MiB, in ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );

    // Ours first: it is the lighter side, and RSS seldom shrinks once a part has grown it.
    await probeAll(samples.slice(0, 10)); // warm-up: JIT and module state, not counted
    const ours = await bestOf(ctx.measure, ROUNDS, () => probeAll(samples));
    const whole = await bestOf(ctx.measure, ROUNDS, () => readAll(samples));
    const baselines = [whole];
    const labels = ['readFile whole file'];
    const notes = [
      `${FILE_COUNT} files, ${(totalBytes / 1024 ** 2).toFixed(0)} MiB in all (mean ${(totalBytes / FILE_COUNT / 1024).toFixed(0)} KiB); one file at a time; fastest of ${ROUNDS} rounds for time, highest of the rounds for memory; files are in the page cache.`,
    ];
    const ffprobe = await onPath('ffprobe');
    if (ffprobe) {
      const spawned = await bestOf(ctx.measure, 1, () => ffprobeAll(ffprobe, samples));
      // Its memory is in its own processes, not this one's.
      baselines.push({ ...spawned, peakRssBytes: Number.NaN, memoryGrowthBytes: Number.NaN });
      labels.push('ffprobe spawn');
      notes.push(
        `ffprobe: ${ffprobe} -v quiet -print_format json -show_streams, one process per file (one round); its bytes are not counted.`,
      );
    } else {
      notes.push('ffprobe: not installed');
    }
    return {
      tables: [
        {
          title: 'probeMedia (countingReader over a FileHandle)',
          baselines: labels,
          rows: rows(ours, baselines),
        },
      ],
      notes,
    };
  },
};

export default bench;
