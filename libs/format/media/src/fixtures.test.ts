// Every committed file in libs/format/media/test/fixtures through probeMedia, compared with what
// ffprobe said when tools/media-fixtures/generate.sh made it: an oracle that is not our own code.
// Each file is its own test, so a format without a prober, or a prober that is wrong, shows up by
// file name.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REASON_CODES, RejectionError } from '@callintake/schemas';
import type { MediaFacts, ReasonCode, SpeakerSeparation } from '@callintake/schemas';
import { bufferReader, countingReader, probeMedia } from './index';

const FIXTURES_DIR = join(import.meta.dirname, '../test/fixtures');
const MANIFEST_FILE = 'manifest.json';
/** What a probe may read of any file (SPEC: headers and index, never the body). */
const MAX_PROBE_READ_BYTES = 1024 * 1024;
/** Issue 4: every extension we take has fixtures; arf is accepted unprobed. */
const PROBED_EXTENSIONS = [
  'wav',
  'mp3',
  'mp4',
  'm4a',
  'mpg',
  'mpeg',
  'wma',
  'wmv',
  'webm',
  'aiff',
  'aif',
  'flac',
  'ogg',
  'gsm',
  'au',
] as const;
/** GSM 06.10 is mono only; every other container has a mono and a stereo fixture. */
const MONO_ONLY_CONTAINERS = new Set(['gsm']);

interface ExpectedFacts {
  container: string;
  codec: string;
  channels: number;
  sampleRateHz: number;
  durationSec: number;
  durationToleranceSec: number;
  speakerSeparation: SpeakerSeparation;
}

interface MediaFixture {
  kind: 'media';
  file: string;
  extension: string;
  sizeBytes: number;
  made: string;
  expect: ExpectedFacts;
}

interface HostileFixture {
  kind: 'hostile';
  file: string;
  extension: string;
  sizeBytes: number;
  made: string;
  why: string;
  expectRejection: { code: ReasonCode; looksLike?: string };
}

interface UnprobedFixture {
  kind: 'unprobed';
  file: string;
  extension: string;
  sizeBytes: number;
  made: string;
}

type Fixture = MediaFixture | HostileFixture | UnprobedFixture;

/** A manifest entry before its fields are checked. */
interface RawFixture {
  kind?: unknown;
  file?: unknown;
  extension?: unknown;
  sizeBytes?: unknown;
  expect?: Partial<Record<keyof ExpectedFacts, unknown>>;
  expectRejection?: { code?: unknown };
}

function isReasonCode(value: unknown): value is ReasonCode {
  return typeof value === 'string' && (REASON_CODES as readonly string[]).includes(value);
}

/** The manifest is generated JSON: check the fields the tests rely on rather than trust a cast. */
function loadManifest(): Fixture[] {
  const parsed: unknown = JSON.parse(readFileSync(join(FIXTURES_DIR, MANIFEST_FILE), 'utf8'));
  assert.ok(
    parsed !== null && typeof parsed === 'object' && 'fixtures' in parsed,
    'manifest has no fixtures',
  );
  const { fixtures } = parsed as { fixtures: unknown };
  assert.ok(Array.isArray(fixtures), 'manifest fixtures is not an array');
  return fixtures.map((raw: unknown, index): Fixture => {
    const entry = raw as RawFixture;
    const where = `manifest fixture #${index} (${String(entry.file)})`;
    assert.equal(typeof entry.file, 'string', `${where}: file`);
    assert.equal(typeof entry.extension, 'string', `${where}: extension`);
    assert.equal(typeof entry.sizeBytes, 'number', `${where}: sizeBytes`);
    switch (entry.kind) {
      case 'media': {
        const expected = entry.expect;
        assert.ok(expected, `${where}: expect`);
        for (const field of ['container', 'codec', 'speakerSeparation'] as const) {
          assert.equal(typeof expected[field], 'string', `${where}: expect.${field}`);
        }
        for (const field of ['channels', 'sampleRateHz', 'durationSec', 'durationToleranceSec'] as const) {
          assert.equal(typeof expected[field], 'number', `${where}: expect.${field}`);
        }
        return entry as unknown as MediaFixture;
      }
      case 'hostile':
        assert.ok(isReasonCode(entry.expectRejection?.code), `${where}: expectRejection.code`);
        return entry as unknown as HostileFixture;
      case 'unprobed':
        return entry as unknown as UnprobedFixture;
      default:
        return assert.fail(`${where}: unknown kind ${String(entry.kind)}`);
    }
  });
}

const fixtures = loadManifest();

function readerFor(fixture: Fixture) {
  return countingReader(bufferReader(readFileSync(join(FIXTURES_DIR, fixture.file))));
}

type ProbeOutcome = { facts: MediaFacts } | { error: unknown };

async function probeOutcome(fixture: Fixture, reader: ReturnType<typeof readerFor>): Promise<ProbeOutcome> {
  try {
    return { facts: await probeMedia(reader, { extension: fixture.extension }) };
  } catch (error) {
    return { error };
  }
}

function assertBoundedRead(reader: ReturnType<typeof readerFor>): void {
  assert.ok(
    reader.bytesRead < MAX_PROBE_READ_BYTES,
    `probe read ${reader.bytesRead} bytes; the limit is ${MAX_PROBE_READ_BYTES}`,
  );
}

function describeMedia(expected: ExpectedFacts): string {
  const channels = expected.channels === 1 ? 'mono' : `${expected.channels} ch`;
  return (
    `${expected.container}/${expected.codec}, ${channels}, ${expected.sampleRateHz} Hz, ` +
    `${expected.durationSec} s ±${expected.durationToleranceSec}`
  );
}

describe('media fixtures: recordings probe to the facts ffprobe reported', () => {
  for (const fixture of fixtures) {
    if (fixture.kind !== 'media') continue;
    const expected = fixture.expect;
    it(`${fixture.file} → ${describeMedia(expected)}`, async () => {
      const reader = readerFor(fixture);
      // A plain error (e.g. "no prober for mp3 yet") fails here with its own message: not skipped.
      const facts = await probeMedia(reader, { extension: fixture.extension });

      assert.equal(facts.probed, true);
      assert.equal(facts.sizeBytes, fixture.sizeBytes);
      assert.equal(
        facts.speakerSeparation,
        facts.channels !== undefined && facts.channels >= 2 ? 'channels' : 'diarization',
        'speakerSeparation must follow the channel count',
      );
      assert.deepEqual(
        {
          container: facts.container,
          codec: facts.codec,
          channels: facts.channels,
          sampleRateHz: facts.sampleRateHz,
          speakerSeparation: facts.speakerSeparation,
        },
        {
          container: expected.container,
          codec: expected.codec,
          channels: expected.channels,
          sampleRateHz: expected.sampleRateHz,
          speakerSeparation: expected.speakerSeparation,
        },
      );
      assert.equal(typeof facts.durationSec, 'number', 'durationSec');
      const durationSec = facts.durationSec ?? Number.NaN;
      assert.ok(
        // The epsilon absorbs binary floating point in the subtraction, not the tolerance.
        Math.abs(durationSec - expected.durationSec) <= expected.durationToleranceSec + 1e-9,
        `durationSec ${durationSec} is not within ${expected.durationToleranceSec} s of ffprobe's ${expected.durationSec}`,
      );
      assertBoundedRead(reader);
    });
  }
});

describe('media fixtures: hostile files are rejected with a reason', () => {
  for (const fixture of fixtures) {
    if (fixture.kind !== 'hostile') continue;
    const { code, looksLike } = fixture.expectRejection;
    it(`${fixture.file} → ${code}${looksLike ? ` (looks like ${looksLike})` : ''}: ${fixture.why}`, async () => {
      const reader = readerFor(fixture);
      const outcome = await probeOutcome(fixture, reader);
      if (!('error' in outcome)) {
        assert.fail(`expected rejection ${code}, but the probe returned ${JSON.stringify(outcome.facts)}`);
      }
      const { error } = outcome;
      if (!(error instanceof RejectionError)) {
        assert.fail(`expected rejection ${code}, but the probe threw ${String(error)}`);
      }
      assert.equal(error.reason.code, code, error.reason.message);
      if (looksLike) {
        assert.ok(
          error.reason.message.toLowerCase().includes(looksLike.toLowerCase()),
          `the message should name what the content is (${looksLike}): ${error.reason.message}`,
        );
      }
      assertBoundedRead(reader);
    });
  }
});

describe('media fixtures: formats accepted unprobed', () => {
  for (const fixture of fixtures) {
    if (fixture.kind !== 'unprobed') continue;
    it(`${fixture.file} → ${fixture.extension}, unprobed, never read`, async () => {
      const reader = readerFor(fixture);
      assert.deepEqual(await probeMedia(reader, { extension: fixture.extension }), {
        container: fixture.extension,
        sizeBytes: fixture.sizeBytes,
        probed: false,
      });
      assert.equal(reader.bytesRead, 0);
    });
  }
});

describe('media fixtures: the manifest', () => {
  it('lists exactly the files in the folder, at their sizes', () => {
    const onDisk = readdirSync(FIXTURES_DIR)
      .filter((name) => name !== MANIFEST_FILE && name !== 'README.md')
      .sort();
    assert.deepEqual(fixtures.map((fixture) => fixture.file).sort(), onDisk);
    for (const fixture of fixtures) {
      assert.equal(readFileSync(join(FIXTURES_DIR, fixture.file)).length, fixture.sizeBytes, fixture.file);
    }
  });

  it('has a well-formed recording for every extension we take, and arf unprobed', () => {
    const recorded = new Set(fixtures.filter((fixture) => fixture.kind === 'media').map((f) => f.extension));
    assert.deepEqual(
      PROBED_EXTENSIONS.filter((extension) => !recorded.has(extension)),
      [],
      'extensions without a recording',
    );
    assert.ok(fixtures.some((fixture) => fixture.kind === 'unprobed' && fixture.extension === 'arf'));
  });

  it('has mono and stereo recordings in every container whose codecs allow both', () => {
    const channelsByContainer = new Map<string, Set<number>>();
    for (const fixture of fixtures) {
      if (fixture.kind !== 'media') continue;
      const seen = channelsByContainer.get(fixture.expect.container) ?? new Set<number>();
      seen.add(fixture.expect.channels);
      channelsByContainer.set(fixture.expect.container, seen);
    }
    for (const [container, seen] of channelsByContainer) {
      const wanted = MONO_ONLY_CONTAINERS.has(container) ? [1] : [1, 2];
      assert.deepEqual([...seen].sort(), wanted, `${container} channel counts`);
    }
  });
});
