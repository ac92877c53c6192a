// Summarises V8 CPU profiles (.cpuprofile, from `--cpu-prof` or service-probe.mjs): self time by function and by
// where the code lives (our libs, a package, node internals, GC, idle).
//   BENCH_E2E_CPU_PROF=/tmp/prof npm run bench -- e2e
//   node --import tsx tools/bench/cpu-profile-top.ts /tmp/prof [--top 20]
// A folder holding services.json (pid → service, written by e2e.bench.ts) names each profile.
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

/** Where a function lives: a lib of ours, a package, node itself, or V8's pseudo-frames. */
function areaOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  const ours = /\/(libs\/(?:[^/]+\/)?[^/]+|apps\/[^/]+|tools\/[^/]+)\//.exec(url);
  if (ours) return ours[1] as string;
  if (url.startsWith('node:')) return 'node:' + (url.slice(5).split('/')[0] ?? '');
  return url;
}

function top(map: Map<string, number>, count: number): Array<[string, number]> {
  return [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, count);
}

async function summarise(file: string, label: string, count: number): Promise<void> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const byFunction = new Map<string, number>();
  const byArea = new Map<string, number>();
  let total = 0;
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    total += us;
    if (functionName === '(idle)') idle += us;
    const where = url
      ? `${url.replace(/^.*\/(node_modules|libs|apps|tools)\//, '$1/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => `${((100 * us) / Math.max(1, busy)).toFixed(1)}%`.padStart(6);
  const ms = (us: number) => `${(us / 1000).toFixed(0)} ms`.padStart(9);
  console.log(
    `\n${label}: ${(total / 1e6).toFixed(1)} s profiled, ${(busy / 1e6).toFixed(1)} s busy (idle left out of the %)`,
  );
  console.log('  by area (self time)');
  for (const [area, us] of top(byArea, count))
    if (area !== '(idle)') console.log(`  ${ms(us)} ${pct(us)}  ${area}`);
  console.log('  by function (self time)');
  for (const [name, us] of top(byFunction, count))
    if (!name.startsWith('(idle)')) console.log(`  ${ms(us)} ${pct(us)}  ${name}`);
}

const args = process.argv.slice(2);
const topIndex = args.indexOf('--top');
const count = topIndex >= 0 ? Number(args[topIndex + 1]) : 20;
const paths = args.filter((arg, index) => arg !== '--top' && index !== topIndex + 1);
if (paths.length === 0) {
  console.error('usage: node --import tsx tools/bench/cpu-profile-top.ts <dir or .cpuprofile>... [--top N]');
  process.exit(2);
}
for (const path of paths) {
  if ((await stat(path)).isDirectory()) {
    const names = await readFile(join(path, 'services.json'), 'utf8')
      .then((raw) => JSON.parse(raw) as Record<string, string>)
      .catch(() => ({}) as Record<string, string>);
    for (const file of (await readdir(path)).filter((name) => name.endsWith('.cpuprofile')).sort()) {
      const pid = /(?:^|\.)(\d+)(?:\.\d+\.\d+)?\.cpuprofile$/.exec(file)?.[1] ?? '';
      await summarise(join(path, file), names[pid] ?? file, count);
    }
  } else await summarise(path, basename(path), count);
}
