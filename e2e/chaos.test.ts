// The chaos suite, small: `npm run chaos` with 100 pairs (e2e/support/chaos.ts). Every service
// runs as its own process against a private AOF Redis; workers are SIGKILLed and SIGTERMed,
// Redis is SIGKILLed once and restarted on its AOF, and one probe job stalls twice, while the
// pairs arrive. No pair may be lost, duplicated or left stuck.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chaosPassed, formatReport, runChaos } from './support/chaos';

describe('chaos', () => {
  it(
    '100 pairs survive worker kills, a Redis crash, SIGTERMs and a job stalled twice',
    { timeout: 300_000 },
    async (t) => {
      const progress: string[] = [];
      const report = await runChaos({ pairs: 100, log: (line) => progress.push(line) });
      t.diagnostic(formatReport(report));
      const context = `${formatReport(report)}\n--- progress\n${progress.join('\n')}`;

      // Each fault happened, or the run proves nothing.
      assert.ok(report.kills.filter((kill) => kill.why === 'random').length >= 4, context);
      assert.ok(
        report.redisCrash?.sentinelKept,
        `the AOF kept a write made just before the crash\n${context}`,
      );
      assert.ok(report.sigterms.length >= 2, context);
      assert.deepEqual(report.faultErrors, [], context);
      assert.ok((report.stall?.stalls ?? 0) >= 2, `the stalled job stalled twice\n${context}`);
      assert.ok(report.stall?.callReady, `the twice-stalled job's call is ready\n${context}`);
      // Its file shows it was tried: each stall is a failed attempt on the version.
      assert.ok(
        (report.stall?.versionAttempts ?? 0) >= 2,
        `the version records its stalled attempts\n${context}`,
      );

      assert.equal(report.lost, 0, context);
      assert.equal(report.duplicate, 0, context);
      assert.equal(report.stuck, 0, context);
      assert.ok(chaosPassed(report), context);
    },
  );
});
