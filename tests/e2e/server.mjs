// A minimal static file server for dist/ on 127.0.0.1 (no caching, correct wasm MIME type).
// `server.init`, when set, is a script served as `__init.js` and loaded by every index.html
// before the app's own scripts (right after its Content-Security-Policy, which allows it as a
// script of this origin): the tests' recorders and faults, alike in every browser engine.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize, resolve } from 'node:path';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript',
  '.wasm': 'application/wasm',
  '.css': 'text/css',
  '.svg': 'image/svg+xml',
  '.gz': 'application/gzip',
  '.json': 'application/json',
  '.png': 'image/png',
};

export async function serveDir(dir) {
  const root = resolve(dir);
  const served = { init: null };
  const server = createServer(async (req, res) => {
    try {
      const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
      if (path.endsWith('/__init.js') && served.init) {
        res.writeHead(200, { 'content-type': TYPES['.js'], 'cache-control': 'no-store' });
        res.end(served.init);
        return;
      }
      let file = normalize(join(root, path));
      if (!file.startsWith(root)) throw new Error('outside root');
      if ((await stat(file)).isDirectory()) file = join(file, 'index.html');
      let body = await readFile(file);
      if (served.init && file.endsWith('index.html')) {
        const html = body.toString('utf8');
        const csp = /<meta http-equiv="Content-Security-Policy"[^>]*>/.exec(html);
        if (!csp) throw new Error('index.html has no Content-Security-Policy to follow');
        const at = csp.index + csp[0].length;
        body = Buffer.from(`${html.slice(0, at)}<script src="__init.js"></script>${html.slice(at)}`);
      }
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end('not found');
    }
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  served.url = `http://127.0.0.1:${server.address().port}/`;
  served.close = () => server.close();
  return served;
}
