// Runs in the image build (docker/Dockerfile), after `npm ci --omit=dev`: removes from
// package.json every dependency that no app bundle imports (the bundles are built with
// --packages=external, so their esbuild metafiles list exactly what they import), then
// `npm prune` drops those packages and what only they needed. Today that is tsx (and esbuild
// with it), which `npm run demo`/`ingest` need in a checkout and the image does not.
//   node prune-deps.mjs <folder of dist/apps>
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const apps = process.argv[2];
const imported = new Set();
for (const app of readdirSync(apps)) {
  const meta = JSON.parse(readFileSync(join(apps, app, 'meta.json'), 'utf8'));
  for (const output of Object.values(meta.outputs))
    for (const { path, external } of output.imports ?? [])
      if (external && !path.startsWith('node:'))
        imported.add(
          path
            .split('/')
            .slice(0, path.startsWith('@') ? 2 : 1)
            .join('/'),
        );
}
const pkg = JSON.parse(readFileSync('package.json', 'utf8'));
const unused = Object.keys(pkg.dependencies ?? {}).filter((name) => !imported.has(name));
const missing = [...imported].filter((name) => !(name in (pkg.dependencies ?? {})));
if (missing.length) {
  console.error(`bundles import packages that are not dependencies: ${missing.join(', ')}`);
  process.exit(1);
}
for (const name of unused) delete pkg.dependencies[name];
delete pkg.devDependencies;
writeFileSync('package.json', `${JSON.stringify(pkg, null, 2)}\n`);
console.log(`not imported by any bundle, pruned: ${unused.join(', ') || 'none'}`);
