import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { seriousViolations } from './axe';

/** Where the browser tests write their screenshots (docs/console/ holds the committed ones). */
export const SCREENSHOT_DIR = resolve(__dirname, '../../test-output/console');

/**
 * Flags that keep Debian's Chromium headless, in a container (no sandbox: we run as root), and off
 * the network: no background requests, component updates or first-run pages.
 */
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run'];

function chromiumPath(): string {
  try {
    return execFileSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).trim();
  } catch {
    throw new Error('Chromium is not installed: `apt-get install -y chromium` (.ci/run does it)');
  }
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: FLAGS, headless: true });
}

/** A fresh browser profile (its own cookies and storage): one person at one computer. */
export async function newPerson(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  return { context, page };
}

/**
 * Writes a full-page screenshot as test-output/console/<name>.png, and checks the page with
 * axe-core on the way: a serious or critical accessibility violation fails the test.
 */
export async function screenshot(page: Page, name: string, { accessibility = true } = {}): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}.png`), fullPage: true });
  if (accessibility) expect({ page: name, violations: await seriousViolations(page) }).toEqual({ page: name, violations: [] });
}

/** Fills a form field found by its label. */
export async function fill(page: Page, label: string, value: string): Promise<void> {
  await page.getByLabel(label, { exact: true }).fill(value);
}
