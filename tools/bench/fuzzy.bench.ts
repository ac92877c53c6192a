// Fuzzy pairing at scale: 100,000 metadata records and 100,000 recordings of the generated data
// set, paired in arrival order by the matcher's rules over time-sorted indexes (sorted arrays
// standing in for the matcher's Redis sorted sets; same range queries). Counted: scoreCandidate
// calls. Baseline: the naive scan, every metadata record scored against every recording,
// measured on a sample of metadata records and extrapolated to all of them.
import { scoreCandidate } from '@callintake/matcher';
import { localTenant } from '@callintake/testing';
import {
  datasetTenant,
  generateFuzzyDataset,
  InMemoryFuzzyPairing,
  pairingQuality,
} from '../../libs/stages/matcher/test';
import type { Benchmark } from './harness';

const CALLS = Number(process.env['BENCH_FUZZY_CALLS'] ?? 100_000);
const NAIVE_SAMPLE = Number(process.env['BENCH_FUZZY_NAIVE_SAMPLE'] ?? 200);
/** The data set leaves 2% of calls without metadata and 2% without a recording. */
const ORPHAN_SHARE = 0.02;

const bench: Benchmark = {
  name: 'fuzzy',
  description: `fuzzy pairing of ${CALLS.toLocaleString('en-US')} metadata × ${CALLS.toLocaleString('en-US')} recordings: windowed index vs naive N×M scan`,
  async run(ctx) {
    // 200 reps: a busy contact centre, about 11 calls a minute across the tenant.
    const dataset = generateFuzzyDataset('bench', {
      calls: Math.round(CALLS / (1 - ORPHAN_SHARE)),
      seed: 20240312,
      reps: 200,
      orphanShare: ORPHAN_SHARE,
    });
    const tenant = datasetTenant(localTenant(await ctx.tempDir('fuzzy'), { id: 'bench' }), dataset.users);
    const metadataCount = dataset.metadata.length;
    const recordingCount = dataset.recordings.length;
    ctx.log(`setup: ${metadataCount} metadata records, ${recordingCount} recordings`);

    const engine = new InMemoryFuzzyPairing(tenant);
    const ours = await ctx.measure(async () => {
      for (const arrival of dataset.arrivals) {
        if (arrival.kind === 'recording') await engine.addRecording(arrival.recording);
        else await engine.addMetadata(arrival.metadata);
      }
    });
    const quality = pairingQuality(engine.pairs, dataset.truth);

    const sample = dataset.metadata.slice(0, NAIVE_SAMPLE);
    let naiveComparisons = 0;
    let naiveHits = 0;
    const naive = await ctx.measure(() => {
      for (const metadata of sample) {
        for (const recording of dataset.recordings) {
          naiveComparisons++;
          if (scoreCandidate(metadata, recording, tenant)) naiveHits++;
        }
      }
      return Promise.resolve();
    });
    const scale = metadataCount / sample.length;

    return {
      // Stable keys in results.json (README "Benchmarks"): `fuzzy.pairing100kSeconds` is null when
      // BENCH_FUZZY_CALLS shrank the set (then `fuzzy.pairingSeconds` is for `fuzzy.calls`).
      figures: {
        calls: CALLS,
        pairingSeconds: ours.ms / 1000,
        pairing100kSeconds: CALLS === 100_000 ? ours.ms / 1000 : null,
        naiveSeconds: (naive.ms * scale) / 1000,
        precision: quality.precision,
        recall: quality.recall,
      },
      tables: [
        {
          title: `pairing ${metadataCount.toLocaleString('en-US')} metadata × ${recordingCount.toLocaleString('en-US')} recordings in arrival order`,
          baselines: [
            `naive N×M scan (extrapolated from ${sample.length.toLocaleString('en-US')} × ${recordingCount.toLocaleString('en-US')})`,
          ],
          rows: [
            { metric: 'time', unit: 'ms', ours: ours.ms, baselines: [naive.ms * scale] },
            {
              metric: 'comparisons (scoreCandidate calls)',
              unit: 'count',
              ours: engine.comparisons,
              baselines: [Math.round(naiveComparisons * scale)],
            },
            {
              metric: 'comparisons per metadata record',
              unit: 'count',
              ours: engine.comparisons / metadataCount,
              baselines: [recordingCount],
            },
            { metric: 'memory growth', unit: 'bytes', ours: ours.memoryGrowthBytes, baselines: [null] },
          ],
        },
      ],
      notes: [
        `ours: the matcher's rules (decideMetadata over linked groups, metadataToReconsider, metadataAfterPair, metadataAfterUndo, scoreCandidate) over in-memory indexes by call time and user (file numbers in sorted arrays, each file indexed once), with each file's links scored once as it arrives; the matcher runs the same rules over Redis sorted sets by call time; Redis round trips are not included, nor is ranking the candidates a call document lists (decideMetadata with listed: false, the same decisions)`,
        `naive: measured on ${sample.length.toLocaleString('en-US')} metadata × all recordings (${naiveComparisons.toLocaleString('en-US')} scoreCandidate calls, ${naive.ms.toFixed(0)} ms, ${naiveHits.toLocaleString('en-US')} within the window), then ×${scale.toFixed(0)}; scoring only, no decision`,
        `quality on this set: precision ${quality.precision.toFixed(4)} (${quality.correctPairs}/${quality.pairsMade}), recall ${quality.recall.toFixed(4)} (of ${quality.pairableTruth} pairable), ${engine.ambiguous.size} left ambiguous`,
      ],
    };
  },
};

export default bench;
