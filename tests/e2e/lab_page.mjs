// Page object for the lab page: every element is found by its data-testid.
export class LabPage {
  constructor(page) {
    this.page = page;
  }

  byId(id) {
    return this.page.getByTestId(id);
  }

  async open(url) {
    this.longTasks = [];
    await this.page.goto(url);
    await this.byId('train').waitFor();
    // Record main-thread long tasks (> 50 ms) from here on.
    await this.page.evaluate(() => {
      window.__longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) window.__longTasks.push(e.duration);
      }).observe({ type: 'longtask', buffered: false });
    });
  }

  async setNumber(id, value) {
    await this.byId(id).fill(String(value));
    await this.byId(id).dispatchEvent('change');
  }

  async configure({ model, pl, lsdim, epochs, steps, seed, backend }) {
    if (model !== undefined) await this.byId('model').selectOption(model);
    if (pl !== undefined) await this.setNumber('pl', pl);
    if (lsdim !== undefined) await this.setNumber('lsdim', lsdim);
    if (epochs !== undefined) await this.setNumber('epochs', epochs);
    if (steps !== undefined) await this.setNumber('steps_per_epoch', steps);
    if (seed !== undefined) await this.setNumber('seed', seed);
    if (backend !== undefined) await this.byId('backend').selectOption(backend);
  }

  /** Clicks Train and waits for the metrics (or an error). */
  async train(timeoutMs) {
    await this.byId('train').click();
    // The previous run's metrics stay on the page until the new ones arrive: wait for the run
    // to end (Train enabled again) as well.
    await this.page.waitForFunction(
      () => !document.querySelector('[data-testid=train]').disabled
        && (document.querySelector('[data-testid=accuracy]') || document.querySelector('[data-testid=error]')),
      null,
      { timeout: timeoutMs, polling: 500 },
    );
    const error = await this.byId('error').count();
    if (error) throw new Error(`the page reported: ${await this.byId('error').innerText()}`);
    return {
      accuracy: Number(await this.byId('accuracy').innerText()),
      ami: Number(await this.byId('ami').innerText()),
      timing: await this.byId('timing').innerText(),
      memoryMb: Number(await this.byId('timing').getAttribute('data-memory-mb')),
      backendKind: await this.byId('backend-used').getAttribute('data-kind'),
      backendText: await this.byId('backend-used').innerText(),
      scatterPoints: Number(await this.page.locator('[data-testid=scatter-canvas]').getAttribute('data-points')),
      workers: this.page.workers().length,
      lossPoints: Number(await this.byId('loss-chart').getAttribute('data-points')),
      longTasks: await this.page.evaluate(() => window.__longTasks),
      probes: await this.page.$$eval('[data-testid=metrics] tr[data-probe], [data-testid=cluster-metrics] tr[data-probe]', (rows) =>
        Object.fromEntries(rows.map((r) => [r.dataset.probe, [...r.querySelectorAll('td')].slice(1).map((td) => td.innerText)]))),
      components: Number(await this.page.locator('[data-testid=scatter]').getAttribute('data-components')),
      reconstructions: await this.byId('reconstructions').count(),
    };
  }
}

/** A new page of the lab (1400 × 950) in the harness' browser, its errors logged. */
export async function openLab(ctx) {
  const page = await ctx.browser.newPage({ viewport: { width: 1400, height: 950 } });
  page.on('console', (m) => m.type() === 'error' && console.log(`[page error] ${m.text()}`));
  page.on('pageerror', (e) => console.log(`[page exception] ${e.message}`));
  const lab = new LabPage(page);
  await lab.open(ctx.server.url);
  return lab;
}
