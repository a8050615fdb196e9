// Trunk post_build hook: completes the page's Content-Security-Policy (the <meta> in
// index.html) with the SHA-256 of each inline <script> Trunk wrote (its module loader, which
// names the hashed .js/.wasm files and so changes with every build). Nothing else may run: the
// policy allows scripts from the app's own origin, WebAssembly compilation, and these hashes.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const staging = process.env.TRUNK_STAGING_DIR;
if (!staging) {
  console.error('csp: run by trunk (TRUNK_STAGING_DIR is not set)');
  process.exit(1);
}
const file = join(staging, 'index.html');
const html = readFileSync(file, 'utf8');
const hashes = [...html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/g)].map(
  (m) => `'sha256-${createHash('sha256').update(m[1], 'utf8').digest('base64')}'`,
);
const meta = /(<meta http-equiv="Content-Security-Policy" content="[^"]*script-src [^;"]*)/;
if (!meta.test(html)) {
  console.error('csp: index.html has no Content-Security-Policy meta with a script-src');
  process.exit(1);
}
writeFileSync(file, html.replace(meta, `$1 ${hashes.join(' ')}`));
console.log(`csp: ${hashes.length} inline script hash(es) added`);
