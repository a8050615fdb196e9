// Browser flows of the lab page beyond a single run: shareable links (restore, auto-run, bad
// parameters), OrganAMNIST from a picked file, a URL and a corrupt file, the comparison table
// across runs, and the JSON / CSV exports. Screenshots go to test-results/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUT, servedPageInChromium } from './harness.mjs';
import { LabPage } from './lab_page.mjs';
import { blocks } from './idx_files.mjs';

const ctx = servedPageInChromium();

async function open(query = '') {
  const page = await ctx.browser.newPage({ viewport: { width: 1400, height: 950 }, acceptDownloads: true });
  page.on('pageerror', (e) => console.log(`[page exception] ${e.message}`));
  const lab = new LabPage(page);
  await lab.open(`${ctx.server.url}${query}`);
  return lab;
}

/** Waits until the page has finished `n` runs (the comparison table counts them). */
async function waitForRuns(lab, n, timeout = 540_000) {
  await lab.page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid=comparison]')?.dataset.runs ?? 0) >= n || document.querySelector('[data-testid=error]'),
    n,
    { timeout, polling: 500 },
  );
  if (await lab.byId('error').count()) throw new Error(`the page reported: ${await lab.byId('error').innerText()}`);
}

async function downloaded(lab, testid) {
  const [download] = await Promise.all([lab.page.waitForEvent('download'), lab.byId(testid).click()]);
  return { name: download.suggestedFilename(), text: readFileSync(await download.path(), 'utf8') };
}

/** A small OrganAMNIST-format npz written by the CLI (`dml-lab make-npz`), 28 px unless `size`. */
function makeNpz({ train = 1100, val = 110, test = 550, size = 28 } = {}) {
  const bin = process.env.DML_LAB_BIN ?? join(process.env.CARGO_TARGET_DIR ?? 'target', 'release', 'dml-lab');
  const file = join(mkdtempSync(join(tmpdir(), 'dml-lab-')), 'organamnist.npz');
  execFileSync(bin, ['make-npz', '--out', file, '--train', `${train}`, '--val', `${val}`, '--test', `${test}`, '--size', `${size}`]);
  return file;
}

test('a shared link restores the form and runs it; the copied link and the exports hold the config', { timeout: 600_000 }, async () => {
  const lab = await open('?lsdim=4&pl=20&steps_per_epoch=15&backend=cpu&seed=3&run=1');
  assert.equal(await lab.byId('lsdim').inputValue(), '4');
  assert.equal(await lab.byId('pl').inputValue(), '20');
  await waitForRuns(lab, 1);
  assert.equal(await lab.byId('link-notice').count(), 0);
  assert.match(await lab.byId('status').innerText(), /^Done/);
  assert.ok(Number(await lab.byId('accuracy').innerText()) > 0.3);
  // The address bar mirrors the form; the copied link adds run=1.
  const query = new URL(lab.page.url()).searchParams;
  assert.equal(query.get('lsdim'), '4');
  assert.equal(query.get('run'), null);
  await lab.byId('copy-link').click();
  const link = new URL(await lab.byId('share-link').inputValue());
  assert.equal(link.searchParams.get('seed'), '3');
  assert.equal(link.searchParams.get('run'), '1');
  // The link above has no v=: it was made when every model started from the plain config
  // (batch-all triplets, lr 1e-3), and restores that; the link made now names the current
  // version of the defaults (v=4) and states what differs from them.
  assert.equal(await lab.byId('miner').inputValue(), 'batch-all');
  assert.equal(link.searchParams.get('v'), '4');
  assert.equal(link.searchParams.get('miner'), 'batch-all');
  assert.equal(link.searchParams.get('lr'), '0.001');

  const json = await downloaded(lab, 'export-json');
  assert.match(json.name, /^dml-lab-mnist-dml-pl20-d4-seed3\.json$/);
  const record = JSON.parse(json.text);
  assert.equal(record.config.lsdim, 4);
  assert.equal(record.config.steps_per_epoch, 15);
  assert.ok(record.metrics.knn.accuracy > 0.3);

  // A second run with another latent size: the comparison table gets a second column.
  await lab.configure({ lsdim: 2 });
  await lab.byId('train').click();
  await waitForRuns(lab, 2);
  assert.equal(await lab.byId('comparison-cell').count(), 2);
  const csv = await downloaded(lab, 'export-csv');
  assert.equal(csv.text.trim().split('\n').length, 3, csv.text);
  assert.match(csv.text, /^pl,model,variant,lsdim,probe,runs,accuracy_mean/);
  await lab.page.screenshot({ path: `${OUT}/lab-link-two-runs.png`, fullPage: true });
  await lab.page.close();
});

test('views of a run: accuracy curve, confusion matrix, t-SNE projection; two runs compared', { timeout: 600_000 }, async () => {
  const lab = await open('?lsdim=4&pl=20&steps_per_epoch=20&epochs=2&backend=cpu&run=1');
  await waitForRuns(lab, 1);
  const scatter = lab.page.locator('[data-testid=scatter]');
  // The accuracy curve: about ten points a run plus one at each epoch's end, each in [0, 1].
  const chart = lab.byId('accuracy-chart');
  assert.ok(Number(await chart.getAttribute('data-points')) >= 3, await chart.getAttribute('data-points'));
  const last = Number(await chart.getAttribute('data-last'));
  assert.ok(last > 0.3 && last <= 1, `last accuracy ${last}`);
  assert.ok((await chart.locator('circle').count()) >= 3);

  // The confusion matrix: every test image once, its diagonal is the kNN accuracy.
  await lab.byId('confusion').locator('summary').click();
  // Drawn when opened: the details' toggle event comes in a task after the click.
  await lab.page.locator('[data-testid=confusion] [data-testid=confusion-matrix] tbody tr').first().waitFor();
  const cells = await lab.page.$$eval('[data-testid=confusion] [data-testid=confusion-matrix] tbody tr', (rows) =>
    rows.map((r) => [...r.querySelectorAll('td')].map((td) => Number(td.innerText))));
  assert.equal(cells.length, 10);
  const total = cells.flat().reduce((a, b) => a + b, 0);
  const hits = cells.reduce((a, row, i) => a + row[i], 0);
  assert.equal(total, 10000);
  assert.equal((hits / total).toFixed(4), await lab.byId('accuracy').innerText());

  // t-SNE of the first 2000 test images, computed in the worker; PCA again brings back all.
  assert.equal(await scatter.getAttribute('data-axes'), 'PCA');
  await lab.byId('projection').selectOption('tsne');
  await lab.page.waitForFunction(() => document.querySelector('[data-testid=scatter]').dataset.axes === 't-SNE', null, { timeout: 120_000 });
  assert.equal(await scatter.getAttribute('data-points'), '2000');
  console.log(`t-SNE of 2000 test embeddings (d = 4) in the worker: ${await scatter.getAttribute('data-projection-ms')} ms`);
  assert.match(await lab.byId('scatter-caption').innerText(), /t-SNE of the latent space \(perplexity 30/);
  await lab.byId('projection').selectOption('pca');
  await lab.page.waitForFunction(() => document.querySelector('[data-testid=scatter]').dataset.axes === 'PCA');
  assert.equal(await scatter.getAttribute('data-points'), '10000');

  // With t-SNE chosen, the next run ends in t-SNE by itself.
  await lab.byId('projection').selectOption('tsne');
  await lab.page.waitForFunction(() => document.querySelector('[data-testid=scatter]').dataset.axes === 't-SNE', null, { timeout: 120_000 });
  await lab.configure({ seed: 1, model: 'dml-ae' });
  await lab.byId('train').click();
  await waitForRuns(lab, 2);
  await lab.page.waitForFunction(() => document.querySelector('[data-testid=scatter]').dataset.axes === 't-SNE'
    && !document.querySelector('[data-testid=train]').disabled, null, { timeout: 120_000 });

  // Compare the two: scores with differences, two scatters at one scale, overlaid curves.
  assert.equal(await lab.byId('comparison-view').count(), 0);
  const picks = lab.byId('compare-pick');
  assert.equal(await picks.count(), 2);
  await picks.nth(0).check();
  await picks.nth(1).check();
  const view = lab.byId('comparison-view');
  await view.waitFor();
  assert.equal(await view.getAttribute('data-runs'), '2');
  assert.equal(await lab.byId('compare-scatter').count(), 2);
  await lab.page.waitForFunction(() => document.querySelectorAll('[data-testid=compare-canvas]').length === 2);
  for (const i of [0, 1]) assert.equal(await lab.byId('compare-canvas').nth(i).getAttribute('data-points'), '2000');
  const knnRow = await lab.page.$$eval('[data-testid=compare-metrics] tr[data-metric="kNN accuracy"] td', (tds) => tds.map((td) => td.innerText));
  const [a, b, diff] = knnRow.slice(1).map(Number);
  assert.ok(Math.abs(b - a - diff) < 2e-4, knnRow.join(' | '));
  const curves = await lab.byId('compare-curves').innerHTML();
  for (const color of ['#1F77B4', '#FF7F0E']) assert.ok(curves.includes(color), `run colour ${color} in the overlaid curves`);
  assert.ok((await lab.byId('compare-accuracy').locator('circle').count()) >= 6);
  await lab.byId('compare-confusion').locator('summary').click();
  // Drawn when opened (the toggle event comes a task after the click).
  await lab.page.waitForFunction(() => document.querySelectorAll('[data-testid=compare-confusion] [data-testid=confusion-matrix]').length >= 2);
  assert.equal(await lab.byId('compare-confusion').getByTestId('confusion-matrix').count(), 2);
  await view.screenshot({ path: `${OUT}/lab-compare.png` });
  // Unticking one leaves a single run: no comparison.
  await picks.nth(1).uncheck();
  await lab.byId('compare-hint').waitFor();
  const longest = Math.max(0, ...(await lab.page.evaluate(() => window.__longTasks)));
  console.log(`longest main-thread task over two runs, the projections and the comparison: ${longest.toFixed(0)} ms`);
  assert.ok(longest < 100, `a main-thread task took ${longest} ms`);
  await lab.page.close();
});

test('a preset loads into the form in place, and its link opens the same experiment', { timeout: 120_000 }, async () => {
  const lab = await open();
  await lab.byId('presets').locator('summary').click();
  const presets = lab.byId('preset');
  assert.ok((await presets.count()) >= 5, 'the paper cells, the collapse, its fix and our recipe');
  const collapse = presets.filter({ hasText: 'the collapse' }).first();
  const href = await collapse.locator('a').getAttribute('href');
  assert.match(href, /loss_scale=paper/);
  assert.match(await collapse.innerText(), /Expect: .*collapsed/);
  // The form says what the default model is, and follows the choice.
  assert.match(await lab.byId('about').innerText(), /^Deep metric learning alone/);
  await collapse.locator('a').click();
  assert.equal(await lab.byId('model').inputValue(), 'dml-unit-prior');
  const about = await lab.byId('about').innerText();
  assert.match(about, /KL term pulling each image's Gaussian towards N\(0, I\)/);
  assert.match(about, /The paper's schedule: odd epochs/);
  assert.equal(await lab.byId('pl').inputValue(), '0.01');
  assert.equal(await lab.byId('alpha').inputValue(), '0.66');
  assert.equal(await lab.byId('loss_scale').inputValue(), 'paper');
  assert.match(await lab.byId('status').innerText(), /Loaded the preset/);
  // The address bar follows the form, so the page is now the preset's link.
  assert.ok(lab.page.url().endsWith(href), `${lab.page.url()} ends with ${href}`);
  // Opened as a link, the preset gives the same form.
  const other = await open(href);
  assert.equal(await other.byId('loss_scale').inputValue(), 'paper');
  assert.equal(await other.byId('alpha').inputValue(), '0.66');
  await other.page.close();
  await lab.page.close();
});

test('a link with bad parameters shows a notice and falls back to the defaults', { timeout: 120_000 }, async () => {
  const lab = await open('?pl=abc&lsdim=0&model=resnet&foo=%3Cscript%3E&epochs=2');
  const notice = await lab.byId('link-notice').innerText();
  assert.match(notice, /pl="abc" is not valid/);
  assert.match(notice, /lsdim="0" is not valid \(must be in 1\.\.=512, got 0\); using the default 10/);
  assert.match(notice, /model="resnet" is not valid/);
  assert.match(notice, /unknown parameter "foo" ignored/);
  assert.equal(await lab.byId('pl').inputValue(), '10');
  assert.equal(await lab.byId('epochs').inputValue(), '2', 'the good parameter is kept');
  assert.equal(await lab.byId('train').isEnabled(), true, 'the page stays usable');
  await lab.page.screenshot({ path: `${OUT}/lab-bad-link.png`, fullPage: true });
  await lab.page.close();
});

test('a hand-written link without v= says it restores the first defaults and offers today\'s', { timeout: 120_000 }, async () => {
  const lab = await open('?backend=cpu&lsdim=4');
  const notice = lab.byId('version-notice');
  assert.equal(await notice.getAttribute('data-version'), '1');
  const text = await notice.innerText();
  assert.match(text, /no version of the defaults \(no v=\), so it restores the lab's first defaults \(version 1\)/);
  assert.match(text, /Today's defaults \(version 4\) would change: .*lr=0\.002/);
  assert.equal(await lab.byId('lr').inputValue(), '0.001', 'version 1 trained at lr 1e-3');
  await lab.byId('use-today').click();
  assert.equal(await lab.byId('lr').inputValue(), '0.002');
  assert.equal(await lab.byId('lsdim').inputValue(), '4', "the link's own settings stay");
  assert.equal(await lab.byId('version-notice').count(), 0);
  assert.match(await lab.byId('status').innerText(), /Using today's defaults \(version 4\)/);
  // The address bar now says v=4 and nothing of version 1's defaults.
  const query = new URL(lab.page.url()).searchParams;
  assert.equal(query.get('v'), '4');
  assert.equal(query.get('lr'), null);
  // A link of today's version says nothing.
  const today = await open(`?${query}`);
  assert.equal(await today.byId('version-notice').count(), 0);
  await today.page.close();
  await lab.page.close();
});

test('OrganAMNIST: a picked npz trains, a corrupt one is refused, a URL loads', { timeout: 600_000 }, async () => {
  const npz = makeNpz();
  const lab = await open();
  await lab.byId('dataset').selectOption('organamnist');
  await lab.byId('train').click();
  await lab.byId('error').waitFor();
  assert.match(await lab.byId('error').innerText(), /OrganAMNIST is not loaded/);

  await lab.byId('npz-file').setInputFiles(npz);
  await lab.page.waitForFunction(() => /11 classes/.test(document.querySelector('[data-testid=npz-summary]')?.innerText ?? ''));
  const summary = await lab.byId('npz-summary').innerText();
  assert.match(summary, /1100 training \/ 550 test images, 11 classes \(bladder, femur-left/);
  await lab.configure({ pl: 10, lsdim: 4, steps: 30, backend: 'cpu' });
  await lab.byId('train').click();
  await waitForRuns(lab, 1);
  const accuracy = Number(await lab.byId('accuracy').innerText());
  assert.ok(accuracy > 0.3, `accuracy ${accuracy} (chance 0.09)`);
  assert.equal(await lab.page.locator('[data-testid=scatter-canvas]').getAttribute('data-points'), '550');
  await lab.page.screenshot({ path: `${OUT}/lab-organamnist.png`, fullPage: true });

  // A corrupt file: a clear message, and the loaded data and results stay.
  await lab.byId('npz-file').setInputFiles({ name: 'broken.npz', mimeType: 'application/octet-stream', buffer: Buffer.from('PK\x03\x04 not really a zip') });
  await lab.byId('npz-error').waitFor();
  assert.match(await lab.byId('npz-error').innerText(), /^broken\.npz: .*not a readable \.npz \(zip\) archive/);
  assert.match(await lab.byId('npz-summary').innerText(), /11 classes/);
  assert.equal(await lab.byId('accuracy').count(), 1);

  // From a URL (served by the test).
  await lab.page.route('**/remote/organamnist.npz', (route) => route.fulfill({ body: readFileSync(npz), contentType: 'application/octet-stream' }));
  await lab.byId('npz-url').fill(`${ctx.server.url}remote/organamnist.npz`);
  await lab.byId('npz-load-url').click();
  await lab.page.waitForFunction(() => /^OrganAMNIST from http.*11 classes/.test(document.querySelector('[data-testid=npz-summary]')?.innerText ?? ''));
  assert.equal(await lab.byId('npz-error').count(), 0);

  // A link made now carries the data URL: opened in a fresh page it loads the file and runs.
  await lab.byId('copy-link').click();
  const link = await lab.byId('share-link').inputValue();
  const params = new URL(link).searchParams;
  assert.equal(params.get('dataset'), 'organamnist');
  assert.equal(params.get('data_url'), `${ctx.server.url}remote/organamnist.npz`);
  await lab.page.close();
  const page = await ctx.browser.newPage({ viewport: { width: 1400, height: 950 } });
  await page.route('**/remote/organamnist.npz', (route) => route.fulfill({ body: readFileSync(npz), contentType: 'application/octet-stream' }));
  const shared = new LabPage(page);
  await shared.open(link);
  await waitForRuns(shared, 1);
  assert.equal(await page.locator('[data-testid=scatter-canvas]').getAttribute('data-points'), '550');
  assert.match(await shared.byId('npz-summary').innerText(), /11 classes/);
  await page.close();
});

test('pause holds training, resume goes on, stop ends it', { timeout: 600_000 }, async () => {
  const lab = await open();
  await lab.configure({ pl: 10, lsdim: 4, steps: 5000, backend: 'cpu' });
  await lab.byId('train').click();
  const points = async () => Number(await lab.byId('loss-chart').getAttribute('data-points'));
  await lab.page.waitForFunction(() => Number(document.querySelector('[data-testid=loss-chart]').dataset.points) >= 5, null, { timeout: 300_000 });
  await lab.byId('pause').click();
  await lab.page.waitForFunction(() => /^Paused/.test(document.querySelector('[data-testid=status]').innerText));
  assert.equal(await lab.byId('pause').innerText(), 'Resume');
  const held = await points();
  await lab.page.waitForTimeout(2000);
  assert.equal(await points(), held, 'no steps while paused');
  await lab.byId('pause').click();
  await lab.page.waitForFunction((n) => Number(document.querySelector('[data-testid=loss-chart]').dataset.points) > n, held, { timeout: 120_000 });
  await lab.byId('stop').click();
  await waitForRuns(lab, 1);
  const steps = await points();
  assert.ok(steps > held && steps < 5000, `stopped after ${steps} steps`);
  assert.match(await lab.byId('timing').innerText(), /stopped early/);
  await lab.page.close();
});

test('finished runs are kept in IndexedDB across reloads and can be deleted; samples show per class', { timeout: 600_000 }, async () => {
  const lab = await open('?lsdim=2&epochs=1&steps_per_epoch=4&backend=cpu&run=1');
  await waitForRuns(lab, 1);
  // Once MNIST has loaded, a few images per class are shown, one labelled row per class.
  assert.match(await lab.byId('samples').locator('summary').innerText(), /^mnist: 60000 training \/ 10000 test images, 10 classes/);
  const grid = lab.page.locator('[data-testid=samples-grid] canvas');
  assert.equal(await grid.getAttribute('data-rows'), '10');
  assert.equal(await grid.getAttribute('data-images'), '80');
  const saved = () =>
    lab.page.evaluate(
      () =>
        new Promise((resolve, reject) => {
          const r = indexedDB.open('dml-lab');
          r.onerror = () => reject(r.error);
          r.onsuccess = () => {
            const count = r.result.transaction('runs').objectStore('runs').count();
            count.onsuccess = () => resolve(count.result);
          };
        }),
    );
  for (let i = 0; i < 50 && (await saved()) < 1; i++) await lab.page.waitForTimeout(100);
  assert.equal(await saved(), 1);
  // The address bar no longer asks to run, so a reload restores without training again.
  await lab.page.reload();
  await lab.byId('train').waitFor();
  await lab.page.waitForFunction(() => document.querySelector('[data-testid=comparison]')?.dataset.runs === '1', null, { timeout: 30_000 });
  assert.match(await lab.byId('history-note').innerText(), /1 run restored from this browser's history/);
  assert.equal(await lab.page.locator('[data-testid=history-run]').count(), 1);
  assert.match(await lab.page.locator('[data-testid=history-run]').innerText(), /mnist · dml · pl 10 % · d 2 · seed 0 · kNN 0\.\d+/);
  await lab.page.screenshot({ path: `${OUT}/lab-history-restored.png`, fullPage: true });
  await lab.byId('delete-run').click();
  assert.equal(await lab.page.locator('[data-testid=history-run]').count(), 0);
  for (let i = 0; i < 50 && (await saved()) > 0; i++) await lab.page.waitForTimeout(100);
  assert.equal(await saved(), 0);
  await lab.page.reload();
  await lab.byId('train').waitFor();
  await lab.page.waitForTimeout(500);
  assert.equal(await lab.page.locator('[data-testid=history-run]').count(), 0);
  await lab.page.close();
});

test('works on a phone-sized viewport and with the keyboard alone', { timeout: 600_000 }, async () => {
  const page = await ctx.browser.newPage({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
  page.on('pageerror', (e) => console.log(`[page exception] ${e.message}`));
  const lab = new LabPage(page);
  await lab.open(`${ctx.server.url}?lsdim=2&epochs=1&steps_per_epoch=4&backend=cpu`);
  const overflow = () => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok((await overflow()) <= 1, `the page scrolls sideways by ${await overflow()} px`);
  // Tab from the top of the page reaches Train (every control before it is focusable in
  // order); Enter starts the run.
  let reached = false;
  for (let i = 0; i < 80 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement?.dataset?.testid === 'train');
  }
  assert.ok(reached, 'Train is reachable with Tab');
  await page.keyboard.press('Enter');
  await waitForRuns(lab, 1);
  assert.ok((await overflow()) <= 1, `after a run the page scrolls sideways by ${await overflow()} px`);
  await page.screenshot({ path: `${OUT}/lab-phone.png`, fullPage: true });
  await page.close();
});

test('the latent scatter refreshes while training, shows image and label on hover, zooms and pans', { timeout: 600_000 }, async () => {
  const lab = await open('?pl=10&lsdim=4&epochs=2&steps_per_epoch=15&backend=cpu');
  // Every state the scatter passes through, as the page shows it.
  await lab.page.evaluate(() => {
    window.__scatterStates = [];
    const host = document.querySelector('[data-testid=scatter]');
    new MutationObserver(() => {
      const state = `${host.dataset.epoch}:${host.dataset.step}:${host.dataset.points}`;
      if (window.__scatterStates.at(-1) !== state) window.__scatterStates.push(state);
    }).observe(host, { attributes: true });
  });
  await lab.byId('train').click();
  await waitForRuns(lab, 1);
  const states = await lab.page.evaluate(() => window.__scatterStates);
  // The first scatter follows the first step, then one every ~2 s and one at each epoch's end
  // (1000 test images while training), then all 10000 once evaluated.
  const seen = states.filter((s) => s !== 'final::0');
  assert.equal(seen[0], '1:1:1000', `scatter states ${states}`);
  assert.deepEqual(seen.slice(-2), ['2:15:1000', 'final::10000'], `scatter states ${states}`);
  assert.ok(seen.slice(0, -1).every((s) => s.endsWith(':1000')), `scatter states ${states}`);
  const canvas = lab.byId('scatter-canvas');
  assert.equal(await canvas.getAttribute('data-points'), '10000');
  assert.match(await lab.byId('scatter-caption').innerText(), /^All 10000 test images, PCA/);

  // Hover test image 0 (a 7): the tooltip shows its label and image.
  await canvas.scrollIntoViewIfNeeded();
  const [x, y] = (await canvas.getAttribute('data-first-point')).split(',').map(Number);
  const box = await canvas.boundingBox();
  await lab.page.mouse.move(box.x + x, box.y + y);
  const tip = lab.byId('scatter-tip');
  await tip.waitFor();
  assert.equal(await tip.innerText(), '7 · test image 0');
  await lab.page.screenshot({ path: `${OUT}/lab-scatter-hover.png`, fullPage: true });

  // Wheel zooms around the cursor, a drag pans, Reset restores; the keyboard zooms too.
  await lab.page.mouse.wheel(0, -600);
  await lab.page.waitForFunction(() => Number(document.querySelector('[data-testid=scatter-canvas]').dataset.zoom) > 1.5);
  const zoomed = await canvas.getAttribute('data-first-point');
  const [zx, zy] = zoomed.split(',').map(Number);
  assert.ok(Math.abs(zx - x) < 2 && Math.abs(zy - y) < 2, `the point under the cursor stays put: ${x},${y} → ${zoomed}`);
  await lab.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await lab.page.mouse.down();
  await lab.page.mouse.move(box.x + box.width / 2 + 50, box.y + box.height / 2 + 20, { steps: 5 });
  await lab.page.mouse.up();
  const [px, py] = (await canvas.getAttribute('data-first-point')).split(',').map(Number);
  assert.ok(Math.abs(px - zx - 50) < 1 && Math.abs(py - zy - 20) < 1, `a drag pans by its distance: ${zoomed} → ${px},${py}`);
  await lab.byId('scatter-reset').click();
  assert.equal(await canvas.getAttribute('data-zoom'), '1.000');
  assert.equal(await canvas.getAttribute('data-first-point'), `${x.toFixed(1)},${y.toFixed(1)}`);
  await canvas.focus();
  await lab.page.keyboard.press('+');
  assert.equal(await canvas.getAttribute('data-zoom'), '1.250');
  await lab.page.close();
});

test('a sweep queued in the page runs every combination and fills the comparison table', { timeout: 900_000 }, async () => {
  const lab = await open('?pl=10&epochs=1&steps_per_epoch=4&backend=cpu');
  await lab.byId('sweep').locator('summary').click();
  // A bad axis says what is wrong and queues nothing.
  await lab.byId('sweep-axes').fill('colour = red');
  await lab.byId('sweep-start').click();
  assert.match(await lab.byId('sweep-error').innerText(), /colour/);
  await lab.byId('sweep-axes').fill('lsdim = 2, 3; pl = 1, 10');
  await lab.byId('sweep-start').click();
  await lab.page.waitForFunction(() => /4 of 4 runs finished \(done\)/.test(document.querySelector('[data-testid=sweep-progress]')?.innerText ?? ''), null, {
    timeout: 840_000,
    polling: 500,
  });
  assert.equal(await lab.page.getAttribute('[data-testid=comparison]', 'data-runs'), '4');
  // Rows pl 1 and 10, columns DML × d 2 and d 3: every cell filled.
  const cells = await lab.page.locator('[data-testid=comparison-cell]').allInnerTexts();
  assert.equal(cells.length, 4);
  assert.ok(cells.every((c) => /^0\.\d{4}/.test(c)), `cells ${cells}`);
  assert.deepEqual(await lab.page.locator('.sweep-list li').evaluateAll((li) => li.map((l) => l.dataset.state)), ['done', 'done', 'done', 'done']);
  await lab.page.screenshot({ path: `${OUT}/lab-sweep.png`, fullPage: true });
  await lab.page.close();
});

test('the user\'s own IDX files load (any order and names), train, and a bad set says what is wrong', { timeout: 600_000 }, async () => {
  const lab = await open('?dataset=organamnist&pl=10&lsdim=2&epochs=1&steps_per_epoch=20&backend=cpu');
  const train = blocks(600, 1);
  const test = blocks(150, 2);
  const file = (name, buffer) => ({ name, mimeType: 'application/octet-stream', buffer });
  // Three files: an error, nothing loaded.
  await lab.byId('npz-file').setInputFiles([file('a', train.images), file('b', train.labels), file('c', test.images)]);
  await lab.byId('npz-error').waitFor();
  assert.match(await lab.byId('npz-error').innerText(), /four IDX files/);
  await lab.byId('npz-file').setInputFiles([
    file('labels-small.idx', test.labels),
    file('images-big.idx', train.images),
    file('images-small.idx', test.images),
    file('labels-big.idx', train.labels),
  ]);
  await lab.page.waitForFunction(() => /3 classes/.test(document.querySelector('[data-testid=npz-summary]')?.innerText ?? ''));
  assert.match(await lab.byId('npz-summary').innerText(), /^Your IDX files .*: 600 training \/ 150 test images, 3 classes/);
  await lab.byId('train').click();
  await waitForRuns(lab, 1);
  const accuracy = Number(await lab.byId('accuracy').innerText());
  assert.ok(accuracy > 0.8, `accuracy ${accuracy} on three separable classes`);
  assert.equal(await lab.byId('scatter-canvas').getAttribute('data-points'), '150');
  await lab.page.screenshot({ path: `${OUT}/lab-idx-upload.png`, fullPage: true });
  // Every other model trains on these 12 × 20 images too; decoders reconstruct at that size.
  const models = ['dml-ae', 'dml-unit-prior', 'dml-gmm-prior', 'metric-vae', 'ae', 'vae'];
  for (const [k, model] of models.entries()) {
    await lab.byId('model').selectOption(model);
    await lab.byId('steps_per_epoch').fill('8');
    await lab.byId('steps_per_epoch').dispatchEvent('change');
    await lab.byId('train').click();
    await waitForRuns(lab, 2 + k);
    assert.equal(await lab.byId('error').count(), 0, `${model}: no error`);
    const acc = Number(await lab.byId('accuracy').innerText());
    assert.ok(acc > 0.5, `${model}: accuracy ${acc} on three separable classes`);
    if (['dml-ae', 'metric-vae', 'ae', 'vae'].includes(model)) {
      const grid = lab.page.locator('[data-testid=reconstructions] canvas');
      assert.equal(await grid.getAttribute('data-tile'), '12x20', `${model}: reconstructions at the images' size`);
    }
  }
  await lab.page.close();
});

test('MedMNIST+ 224 px: DML and MetricVAE train, reconstruct at 224×224, and a run over the page\'s memory budget is refused first', { timeout: 600_000 }, async () => {
  const npz = makeNpz({ train: 88, val: 0, test: 44, size: 224 });
  const lab = await open('?dataset=organamnist&pl=20&epochs=1&steps_per_epoch=2&backend=cpu');
  await lab.byId('npz-file').setInputFiles(npz);
  await lab.page.waitForFunction(() => /11 classes/.test(document.querySelector('[data-testid=npz-summary]')?.innerText ?? ''));
  assert.match(await lab.byId('npz-summary').innerText(), /88 training \/ 44 test images/);
  const rows = [];
  for (const model of ['dml', 'metric-vae']) {
    await lab.byId('model').selectOption(model);
    await lab.setNumber('steps_per_epoch', 2);
    const run = await lab.train(540_000);
    assert.equal(run.scatterPoints, 44, model);
    assert.ok(run.accuracy > 0, `${model}: accuracy ${run.accuracy}`);
    rows.push({ model, memoryMb: run.memoryMb, timing: run.timing });
    if (model === 'metric-vae') {
      const grid = lab.page.locator('[data-testid=reconstructions] canvas');
      assert.equal(await grid.getAttribute('data-tile'), '224x224', 'reconstructions at the images\' size');
      assert.equal(await grid.getAttribute('data-tile-css'), '112x112', 'drawn at 112 CSS px');
    }
  }
  console.log(`224 px in the page: ${JSON.stringify(rows)}`);
  // The samples are drawn as thumbnails (56 CSS px), not at 448 px each.
  assert.equal(await lab.page.locator('[data-testid=samples-grid] canvas').getAttribute('data-tile-css'), '56x56');
  await lab.page.screenshot({ path: `${OUT}/lab-224px.png`, fullPage: true });
  await lab.page.close();

  // MetricVAE with the conv encoder on these images: estimated far over 2 GiB, refused before
  // any step (no backend measured, no loss drawn), saying what would fit or where to go.
  const big = await open('?dataset=organamnist&model=metric-vae&encoder=conv&epochs=1&backend=cpu');
  await big.byId('npz-file').setInputFiles(npz);
  await big.page.waitForFunction(() => /11 classes/.test(document.querySelector('[data-testid=npz-summary]')?.innerText ?? ''));
  await big.byId('train').click();
  await big.byId('error').waitFor({ timeout: 60_000 });
  const error = await big.byId('error').innerText();
  assert.match(error, /this run needs an estimated [\d.]+ GiB .* ×1\.2 here = [\d.]+ GiB of memory, above 2\.00 GiB \(the page's budget for a browser tab\)/, error);
  assert.match(error, /what would fit: |train it with the command line/, error);
  const chart = big.byId('loss-chart');
  if (await chart.count()) assert.equal(await chart.getAttribute('data-points'), '0');
  await big.page.close();
});
