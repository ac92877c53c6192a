#!/usr/bin/env node
// Writes project.json for a lib or app so every project has the same targets.
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
const [kind, name] = process.argv.slice(2);
const root = `${kind === 'app' ? 'apps' : 'libs'}/${name}`;
mkdirSync(`${root}/src`, { recursive: true });
const targets = {
  test: { executor: 'nx:run-commands', options: { command: `node tools/run-tests.mjs ${root}` } },
  lint: { executor: 'nx:run-commands', options: { command: `eslint ${root}` } },
};
if (kind === 'app') {
  targets.build = {
    executor: 'nx:run-commands',
    outputs: [`{workspaceRoot}/dist/apps/${name}`],
    options: {
      command: `esbuild ${root}/src/main.ts --bundle --platform=node --format=esm --target=node20 --packages=external --tsconfig=tsconfig.base.json --outfile=dist/apps/${name}/main.js`,
    },
  };
}
const project = {
  name: kind === 'app' ? name : `@callintake/${name}`,
  $schema: '../../node_modules/nx/schemas/project-schema.json',
  sourceRoot: `${root}/src`,
  projectType: kind === 'app' ? 'application' : 'library',
  tags: [kind === 'app' ? 'type:app' : 'type:lib'],
  targets,
};
writeFileSync(`${root}/project.json`, JSON.stringify(project, null, 2) + '\n');
if (kind === 'lib' && !existsSync(`${root}/src/index.ts`))
  writeFileSync(`${root}/src/index.ts`, 'export {};\n');
