// The three browser engines a shared link lands in, behind one small page API, each driven
// through the protocol its browser speaks (no client downloads a browser; Debian ships all
// three):
//   chromium  Debian Chromium through playwright-core (Chrome DevTools Protocol);
//   firefox   Debian Firefox ESR through puppeteer-core (WebDriver BiDi, no geckodriver);
//   webkit    WebKitGTK's MiniBrowser (Safari's engine) through selenium-webdriver and
//             WebKitWebDriver (W3C WebDriver), under Xvfb.
// Why these clients (measured, docs/browsers.md): Firefox needs geckodriver for selenium-webdriver
// and webdriverio, which Debian does not ship and whose download is refused here; puppeteer-core
// speaks BiDi to Firefox itself. WebKitWebDriver speaks only classic WebDriver: selenium-webdriver
// (17 packages) and webdriverio (190) start a session and run scripts equally fast here, and
// webdriverio needs a non-default capability to stay off BiDi.
//
// A page script that must run before the app's own (the tests' recorders and faults) is served
// by the test server (`server.mjs`, `init`), so it works alike in every engine, classic WebDriver
// included.
import { spawn, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { CHROMIUM } from './chromium.mjs';

export const ENGINES = ['chromium', 'firefox', 'webkit'];

const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
const MINIBROWSER = process.env.MINIBROWSER_PATH ?? findMiniBrowser();

function findMiniBrowser() {
  for (const dir of ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib']) {
    for (const api of ['webkit2gtk-4.1', 'webkitgtk-6.0', 'webkit2gtk-4.0']) {
      const path = `${dir}/${api}/MiniBrowser`;
      if (existsSync(path)) return path;
    }
  }
  return null;
}

/** Fails with what is missing and how to get it (a test that cannot start its browser fails). */
function need(ok, what) {
  if (!ok) throw new Error(`cannot start ${what}; scripts/setup.sh installs it (as root)`);
}

/** Starts `engine`; `webgpu` asks for the browser's WebGPU where it is behind a switch. */
export async function launch(engine, { webgpu = true } = {}) {
  if (engine === 'chromium') return launchChromium(webgpu);
  if (engine === 'firefox') return launchFirefox(webgpu);
  if (engine === 'webkit') return launchWebKit();
  throw new Error(`unknown engine ${engine}`);
}

// ---- Chromium: playwright-core ------------------------------------------------------------

async function launchChromium(webgpu) {
  need(existsSync(CHROMIUM), `Chromium (${CHROMIUM}: Debian package chromium)`);
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      ...(webgpu ? ['--enable-unsafe-webgpu'] : []),
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
    ],
  });
  return {
    engine: 'chromium',
    version: `Chromium ${browser.version()}`,
    async newPage({ width = 1400, height = 950 } = {}) {
      const page = await browser.newPage({ viewport: { width, height } });
      page.on('pageerror', (e) => console.log(`[chromium page exception] ${e.message}`));
      return new Page({
        goto: (url) => page.goto(url),
        evaluate: (fn, arg) => page.evaluate(fn, arg),
        click: (sel) => page.locator(sel).first().click(),
        upload: (sel, paths) => page.locator(sel).setInputFiles(paths),
        screenshot: (path) => page.screenshot({ path, fullPage: true }),
        close: () => page.close(),
      });
    },
    close: () => browser.close(),
  };
}

// ---- Firefox: puppeteer-core over WebDriver BiDi ------------------------------------------

/** Firefox's WebGPU (wgpu-core) is behind prefs on Linux, and its blocklist refuses Mesa's
 * software Vulkan driver (lavapipe) unless told to ignore it. */
export const FIREFOX_WEBGPU_PREFS = {
  'dom.webgpu.enabled': true,
  'dom.webgpu.workers.enabled': true,
  'gfx.webgpu.ignore-blocklist': true,
};

async function launchFirefox(webgpu) {
  need(existsSync(FIREFOX), `Firefox (${FIREFOX}: Debian package firefox-esr)`);
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: {
      ...(webgpu ? FIREFOX_WEBGPU_PREFS : {}),
      // No network beyond the test server: no updates, telemetry or remote settings.
      'app.update.enabled': false,
      'network.captive-portal-service.enabled': false,
      'toolkit.telemetry.enabled': false,
      'services.settings.server': 'http://127.0.0.1:9/',
    },
  });
  return {
    engine: 'firefox',
    version: `Firefox ${(await browser.version()).replace(/^firefox\//, '')}`,
    async newPage({ width = 1400, height = 950 } = {}) {
      const page = await browser.newPage();
      await page.setViewport({ width, height });
      page.on('pageerror', (e) => console.log(`[firefox page exception] ${e.message}`));
      return new Page({
        goto: (url) => page.goto(url),
        evaluate: (fn, arg) => page.evaluate(fn, arg),
        click: (sel) => page.click(sel),
        upload: async (sel, paths) => (await page.$(sel)).uploadFile(...paths),
        screenshot: (path) => page.screenshot({ path, fullPage: true }),
        close: () => page.close(),
      });
    },
    close: () => browser.close(),
  };
}

// ---- WebKit: selenium-webdriver, WebKitWebDriver, MiniBrowser under Xvfb ------------------

/** A free X display number for Xvfb. */
function freeDisplay() {
  for (let n = 90; n < 200; n++) if (!existsSync(`/tmp/.X11-unix/X${n}`) && !existsSync(`/tmp/.X${n}-lock`)) return n;
  throw new Error('no free X display');
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Waits until `port` answers WebDriver's /status, or fails after `ms`. */
async function driverUp(port, ms, child) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`WebKitWebDriver exited (${child.exitCode})`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/status`);
      if (r.ok) return;
    } catch {}
    await sleep(100);
  }
  throw new Error(`WebKitWebDriver did not answer on port ${port} within ${ms} ms`);
}

async function launchWebKit() {
  need(MINIBROWSER, 'WebKitGTK\'s MiniBrowser (Debian package webkit2gtk-driver)');
  const have = (cmd) => {
    try {
      execFileSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };
  need(have('WebKitWebDriver'), 'WebKitWebDriver (Debian package webkit2gtk-driver)');
  need(have('Xvfb'), 'Xvfb (Debian package xvfb)');
  const { Builder } = await import('selenium-webdriver');
  const display = freeDisplay();
  const xvfb = spawn('Xvfb', [`:${display}`, '-screen', '0', '1600x1200x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
  const port = 4400 + (process.pid % 500);
  const env = { ...process.env, DISPLAY: `:${display}` };
  const driver = spawn('WebKitWebDriver', [`--port=${port}`], { stdio: 'ignore', env });
  const stop = () => {
    driver.kill();
    xvfb.kill();
  };
  let session;
  try {
    await driverUp(port, 20_000, driver);
    session = await new Builder()
      .usingServer(`http://127.0.0.1:${port}`)
      .withCapabilities({
        browserName: 'MiniBrowser',
        'webkitgtk:browserOptions': { binary: MINIBROWSER, args: ['--automation'] },
      })
      .build();
  } catch (e) {
    stop();
    throw new Error(`cannot start WebKit (MiniBrowser through WebKitWebDriver on :${display}): ${e.message}`);
  }
  const caps = await session.getCapabilities();
  const { By } = await import('selenium-webdriver');
  const find = (sel) => session.findElement(By.css(sel));
  return {
    engine: 'webkit',
    version: `WebKitGTK ${caps.get('browserVersion') ?? ''}`.trim(),
    // One window per session in classic WebDriver: a new page replaces the last one.
    async newPage({ width = 1400, height = 950 } = {}) {
      await session.get('about:blank');
      await session.manage().window().setRect({ width, height });
      return new Page({
        goto: (url) => session.get(url),
        // Execute Script awaits a returned promise (W3C WebDriver).
        evaluate: (fn, arg) => session.executeScript(`return (${fn})(arguments[0]);`, arg),
        click: async (sel) => (await find(sel)).click(),
        upload: async (sel, paths) => (await find(sel)).sendKeys(paths.join('\n')),
        screenshot: async (path) => writeFileSync(path, Buffer.from(await session.takeScreenshot(), 'base64')),
        close: () => session.get('about:blank'),
      });
    },
    async close() {
      try {
        await session.quit();
      } finally {
        stop();
      }
    },
  };
}

// ---- The page API the flows use -----------------------------------------------------------

const testid = (id) => `[data-testid=${id}]`;

export class Page {
  constructor(impl) {
    this.impl = impl;
  }

  goto(url) {
    return this.impl.goto(url);
  }

  /** Runs `fn(arg)` in the page and returns its (JSON-able) result; `fn` may be async. */
  evaluate(fn, arg = null) {
    return this.impl.evaluate(fn, arg);
  }

  /** Polls `fn(arg)` in the page until it is truthy; on timeout the error says what the page
   * showed (status line, error, fatal banner). */
  async waitFor(fn, arg = null, { timeout = 60_000, polling = 250, what = 'condition' } = {}) {
    const until = Date.now() + timeout;
    for (;;) {
      const value = await this.evaluate(fn, arg).catch(() => null);
      if (value) return value;
      if (Date.now() > until) {
        const seen = await this.evaluate(() => ({
          status: document.querySelector('[data-testid=status]')?.innerText,
          error: document.querySelector('[data-testid=error]')?.innerText,
          fatal: document.querySelector('[data-testid=fatal]')?.innerText,
        })).catch((e) => ({ unreadable: e.message }));
        throw new Error(`timed out after ${timeout} ms waiting for ${what}; the page shows ${JSON.stringify(seen)}`);
      }
      await sleep(polling);
    }
  }

  /** A real click on the element with this data-testid (or CSS selector). */
  click(id) {
    return this.impl.click(id.startsWith('[') || id.includes(' ') ? id : testid(id));
  }

  /** Sets a form field as a user's edit does (its `input` and `change` events). */
  set(id, value) {
    return this.evaluate(
      ([id, value]) => {
        const el = document.querySelector(`[data-testid=${id}]`);
        el.value = String(value);
        el.dispatchEvent(new Event('input', { bubbles: true }));
        el.dispatchEvent(new Event('change', { bubbles: true }));
        return el.value;
      },
      [id, value],
    );
  }

  text(id) {
    return this.evaluate((id) => document.querySelector(`[data-testid=${id}]`)?.innerText ?? null, id);
  }

  attr(id, name) {
    return this.evaluate(([id, name]) => document.querySelector(`[data-testid=${id}]`)?.getAttribute(name) ?? null, [id, name]);
  }

  count(sel) {
    return this.evaluate((sel) => document.querySelectorAll(sel).length, sel.startsWith('[') ? sel : testid(sel));
  }

  upload(id, paths) {
    return this.impl.upload(testid(id), paths);
  }

  screenshot(path) {
    return this.impl.screenshot(path);
  }

  close() {
    return this.impl.close();
  }
}
