// npm test's Redis Cluster pass: the tests that prove the service runs on Redis Cluster run
// again, unchanged, against a real 3-master cluster started here (the test helpers read
// REDIS_CLUSTER_NODES: libs/testing/src/redis-env.ts). The cluster's own tests (slot
// migration during a run) start clusters of their own in the first pass.
import { spawn } from 'node:child_process';
import { startRedisCluster } from '@callintake/testing';

/** Project folder and file-name pattern (tools/run-tests.mjs), run with the cluster. */
export const CLUSTER_PASS: ReadonlyArray<{ root: string; pattern: string; what: string }> = [
  { root: 'apps/ingest', pattern: 'separate-services', what: 'every service as its own process' },
  { root: 'e2e', pattern: 'pipeline', what: 'the pipeline end to end through the real handlers' },
  { root: 'e2e', pattern: 'chaos', what: 'worker SIGKILLs, a master crash, SIGTERMs, a stalled job' },
  { root: 'libs/stages/status-api', pattern: '', what: 'the status API' },
];

export async function runClusterPass(env: NodeJS.ProcessEnv): Promise<number> {
  const cluster = await startRedisCluster({ masters: 3 });
  console.log(
    `npm test: Redis Cluster pass on 3 masters (${cluster.nodesEnv}, up in ${Math.round(cluster.startupMs)} ms)`,
  );
  try {
    let failed = 0;
    for (const { root, pattern, what } of CLUSTER_PASS) {
      console.log(`npm test: [cluster] ${root}${pattern ? ` ${pattern}` : ''}: ${what}`);
      const args = ['tools/run-tests.mjs', root, ...(pattern ? ['--pattern', pattern] : [])];
      const child = spawn(process.execPath, args, {
        stdio: 'inherit',
        env: { ...env, REDIS_CLUSTER_NODES: cluster.nodesEnv },
      });
      const code = await new Promise<number>((resolve) =>
        child.on('exit', (exitCode) => resolve(exitCode ?? 1)),
      );
      if (code !== 0) failed++;
    }
    return failed === 0 ? 0 : 1;
  } finally {
    await cluster.stop();
  }
}
