// Probing every media format the guide promises, over the committed fixtures: probes/s and bytes
// read per probe, per container, next to one ffprobe spawn per file when ffprobe is installed.
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bufferReader, countingReader, probeMedia } from '@callintake/media';
import { WORKSPACE_ROOT } from '@callintake/testing';
import { perSecond, type Benchmark, type BenchRow } from './harness';

interface Fixture {
  file: string;
  kind: string;
  extension: string;
  expect?: { container?: string };
}

const ROUNDS = 200;
const FIXTURES = join(WORKSPACE_ROOT, 'libs/format/media/test/fixtures');

function ffprobeOnce(path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffprobe', ['-v', 'quiet', '-print_format', 'json', '-show_streams', path], {
      stdio: 'ignore',
    });
    child.on('error', reject);
    child.on('exit', () => resolve());
  });
}

const bench: Benchmark = {
  name: 'formats',
  description:
    'probeMedia on every committed media fixture, grouped by container, vs spawning ffprobe on the same files',
  async run(ctx) {
    const manifest = JSON.parse(await readFile(join(FIXTURES, 'manifest.json'), 'utf8')) as {
      fixtures: Fixture[];
    };
    const media = manifest.fixtures.filter(
      (f) => f.kind === 'media' && f.expect?.container && f.extension !== 'arf',
    );
    const groups = new Map<string, Array<{ file: string; extension: string; content: Buffer }>>();
    for (const fixture of media) {
      const container = fixture.expect?.container as string;
      const list = groups.get(container) ?? [];
      list.push({
        file: fixture.file,
        extension: fixture.extension,
        content: await readFile(join(FIXTURES, fixture.file)),
      });
      groups.set(container, list);
    }
    const hasFfprobe = await ffprobeOnce(join(FIXTURES, media[0]?.file ?? '')).then(
      () => true,
      () => false,
    );
    const rows: BenchRow[] = [];
    for (const [container, files] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
      let bytesRead = 0;
      let probes = 0;
      const ours = await ctx.measure(async () => {
        for (let round = 0; round < ROUNDS; round++) {
          for (const file of files) {
            const reader = countingReader(bufferReader(file.content));
            await probeMedia(reader, { extension: file.extension });
            bytesRead += reader.bytesRead;
            probes++;
          }
        }
      });
      const ffprobe = hasFfprobe
        ? await ctx.measure(async () => {
            for (const file of files) await ffprobeOnce(join(FIXTURES, file.file));
          })
        : null;
      const meanSize = files.reduce((sum, f) => sum + f.content.length, 0) / files.length;
      rows.push({
        metric: `${container} probes/s (${files.length} files)`,
        unit: 'probes/s',
        ours: perSecond(probes, ours.ms),
        baselines: [ffprobe ? perSecond(files.length, ffprobe.ms) : null, null],
      });
      rows.push({
        metric: `${container} bytes read per probe`,
        unit: 'bytes',
        ours: bytesRead / probes,
        baselines: [null, meanSize],
      });
    }
    return {
      tables: [
        {
          title: 'probeMedia per container (files in memory; ranged reads counted)',
          baselines: ['ffprobe spawn', 'mean file size'],
          rows,
        },
      ],
      notes: [
        `fixtures are tiny (under 100 KiB), so bytes read is often the whole head read; on large files the wav bench shows reads stay at the header (64 KiB)`,
        hasFfprobe ? 'ffprobe: one process per file, one round' : 'ffprobe: not installed',
      ],
    };
  },
};

export default bench;
