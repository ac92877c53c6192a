// After `npm run build`: each service's bundle holds its own stage and no other (read from the
// esbuild metafiles), so a stage that imports another, or runtime code that pulls stages in,
// fails CI. Prints each app's size and libs, the table in README "Architecture". Run by .ci/run.
import { readFileSync, statSync } from 'node:fs';
import { SERVICE_NAMES } from '@callintake/runtime';

interface Metafile {
  inputs: Record<string, unknown>;
}

const problems: string[] = [];
const rows: string[] = [];
for (const app of [...SERVICE_NAMES, 'ingest']) {
  const meta = JSON.parse(readFileSync(`dist/apps/${app}/meta.json`, 'utf8')) as Metafile;
  // A lib is the folder that holds its src/ (libs/runtime, libs/stages/matcher, ...).
  const libs = new Set(
    Object.keys(meta.inputs)
      .filter((path) => path.startsWith('libs/') && path.includes('/src/'))
      .map((path) => path.slice(0, path.indexOf('/src/'))),
  );
  const stages = [...libs]
    .filter((lib) => lib.startsWith('libs/stages/'))
    .map((lib) => lib.slice('libs/stages/'.length));
  const expected = app === 'ingest' ? [...SERVICE_NAMES] : [app];
  if (stages.sort().join() !== [...expected].sort().join())
    problems.push(`${app}: bundles stages [${stages.join(', ')}], expected [${expected.join(', ')}]`);
  if (libs.has('libs/testing')) problems.push(`${app}: bundles libs/testing`);
  const kib = statSync(`dist/apps/${app}/main.js`).size / 1024;
  rows.push(`| \`${app}\` | ${kib.toFixed(0)} KiB | ${libs.size} | ${stages.join(', ')} |`);
}
console.log('| app | main.js | libs | stages |\n| --- | --- | --- | --- |\n' + rows.join('\n'));
if (problems.length) {
  console.error(problems.join('\n'));
  process.exit(1);
}
