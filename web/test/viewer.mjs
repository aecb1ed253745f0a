// Browser test of the viewer: headless Chromium (Debian) driven by
// playwright-core loads the page from a running `carm serve`, checks that the
// 3D canvas is not blank, places a point with a click and reads it back from
// the API. Usage: node web/test/viewer.mjs PORT SCREENSHOT.png
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'package.json'));
const { chromium } = require('playwright-core');
const { PNG } = require('pngjs');

const port = process.argv[2];
const shot = process.argv[3] || '/tmp/carm-viewer.png';
const base = `http://127.0.0.1:${port}`;
let failed = 0;
let passed = 0;
const check = (cond, what) => {
  if (cond) passed++;
  else { failed++; console.error('FAIL:', what); }
};

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
    '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base + '/', { waitUntil: 'load' });
  await page.waitForFunction(() => window.carmViewer && window.carmViewer.ready, null, { timeout: 60000 });
  await page.waitForTimeout(1500);
  const canvas = page.locator('#gl');
  const png = PNG.sync.read(await canvas.screenshot());
  // pixel variation over the canvas: a blank canvas has one colour
  let n = 0, sum = 0, sum2 = 0;
  const seen = new Set();
  for (let i = 0; i < png.data.length; i += 4 * 7) {
    const v = png.data[i] + png.data[i + 1] + png.data[i + 2];
    sum += v; sum2 += v * v; n++;
    seen.add(v);
  }
  const variance = sum2 / n - (sum / n) ** 2;
  check(variance > 50 && seen.size > 20, `canvas not blank (variance ${variance.toFixed(1)}, ${seen.size} levels)`);
  await page.screenshot({ path: shot });
  // place a target with a click in the first 2D tile (axial, top-left quarter)
  await page.selectOption('#point-kind', 'target');
  const box = await canvas.boundingBox();
  await page.mouse.click(box.x + box.width * 0.25, box.y + box.height * 0.25);
  await page.waitForFunction(() => window.carmViewer.points.length > 0, null, { timeout: 20000 });
  const r = await fetch(base + '/api/points');
  const doc = await r.json();
  check(doc.points.length === 1 && doc.points[0].kind === 'target', 'the click stored a target point');
  check(doc.points.length === 1 && doc.points[0].xyz_mm.every(Number.isFinite), 'the point has finite coordinates');
  check(errors.length === 0, 'no page errors: ' + errors.join('; '));
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
