// Helpers for the browser tests: Debian's headless Chromium driven by
// playwright-core, against a real `cairn serve` (tests/system/server.lib.mjs
// starts it on a random port with a temporary data directory).
// Screenshots are test artifacts: build/screenshots/<name>.png.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { root } from '../system/lib.mjs';

export const chromiumPath = process.env.CAIRN_CHROMIUM ?? '/usr/bin/chromium';
export const shotDir = join(root, 'build/screenshots');

// One browser per test file; close it in an after() hook.
export async function launch() {
  return chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
}

// A fresh context (its own cookies and IndexedDB) and page on base.
export async function openPage(browser, base, { viewport = { width: 1280, height: 800 } } = {}) {
  const context = await browser.newContext({ baseURL: base, viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.jsErrors = errors;
  return page;
}

// Signs in through the real form.
export async function signIn(page, name, password) {
  await page.goto('/');
  await page.getByLabel('User name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function shot(page, name) {
  mkdirSync(shotDir, { recursive: true });
  const path = join(shotDir, `${name}.png`);
  await page.screenshot({ path });
  return path;
}

// The editor's stage (label.html): the page coordinates of image point
// (x, y), and a drag between two image points in five mouse steps.
export async function stageAt(page, x, y) {
  return page.evaluate(([x, y]) => {
    const S = window.cairnEditor, r = document.getElementById('stage').getBoundingClientRect();
    const [sx, sy] = S.renderer.toScreen(x, y);
    return [r.left + sx, r.top + sy];
  }, [x, y]);
}

export async function stageDrag(page, x0, y0, x1, y1) {
  const [a, b] = await stageAt(page, x0, y0), [c, d] = await stageAt(page, x1, y1);
  await page.mouse.move(a, b); await page.mouse.down();
  for (let i = 1; i <= 5; i++) await page.mouse.move(a + ((c - a) * i) / 5, b + ((d - b) * i) / 5);
  await page.mouse.up();
}
