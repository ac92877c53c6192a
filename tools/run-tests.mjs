#!/usr/bin/env node
// Runs one project's tests with Node's own test runner, TypeScript loaded through tsx.
// Node 20's --test takes no globs, so the test files are found here.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';

const projectRoot = process.argv[2];
if (!projectRoot) {
  console.error('usage: run-tests.mjs <projectRoot> [--pattern substring]');
  process.exit(2);
}
const pattern = process.argv.includes('--pattern') ? process.argv[process.argv.indexOf('--pattern') + 1] : '';

function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry === 'fixtures') continue;
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (entry.endsWith('.test.ts') && path.includes(pattern)) found.push(path);
  }
  return found;
}

const files = findTests(projectRoot).sort();
if (files.length === 0) {
  console.error(`no test files under ${projectRoot}`);
  process.exit(1);
}
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
