// Browser test of the viewer: headless Chromium (Debian) driven by
// playwright-core loads the page from a running `carm serve`, checks that the
// 3D canvas is not blank, places a point with a click and reads it back from
// the API. When the case holds plans (carm plan feeders / ablation -o), each
// feeder, the needle and the ablation zone must be meshes of the scene whose
// extents (RAS) equal the plan JSON's points (LPS) converted, and switching
// the plan layers off must change the picture.
// Usage: node web/test/viewer.mjs PORT SCREENSHOT.png
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
  // polled from here: waitForFunction's in-page polling stalls behind
  // software WebGL on large cases
  const readyBy = Date.now() + Number(process.env.CARM_VIEWER_READY_MS || 60000);
  while (!(await page.evaluate(() => !!(window.carmViewer && window.carmViewer.ready)))) {
    if (Date.now() > readyBy) throw new Error('viewer not ready: ' + (await page.textContent('#status')));
    await page.waitForTimeout(250);
  }
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

  // ---- the plan layers -----------------------------------------------------
  const kase = await (await fetch(base + '/api/case')).json();
  const plans = kase.plans || [];
  const getJson = async (kind) => {
    const p = plans.find((x) => x.plan === kind);
    return p ? [p.path, await (await fetch(base + p.url)).json()] : [null, null];
  };
  const [feedersPath, feeders] = await getJson('feeders');
  const [ablationPath, ablation] = await getJson('ablation');
  if (feeders || ablation) {
    const layers = await page.evaluate(() => window.carmViewer.plan.layers.map((l) => ({
      kind: l.kind, name: l.name, source: l.source, vertices: l.vertices, visible: l.visible,
      extentsMin: l.extentsMin, extentsMax: l.extentsMax,
      inScene: window.carmViewer.nv.meshes.includes(l.mesh),
      meshMin: Array.from(l.mesh.extentsMin), meshMax: Array.from(l.mesh.extentsMax),
    })));
    const ras = (p) => [-p[0], -p[1], p[2]];
    const near = (a, b, tol) => Math.abs(a - b) <= tol;
    // a tube around a polyline: its box holds the points' box and lies within
    // it grown by the largest radius
    const tubeOk = (layer, pts, rmax) => {
      const lo = [0, 1, 2].map((d) => Math.min(...pts.map((p) => p[d])));
      const hi = [0, 1, 2].map((d) => Math.max(...pts.map((p) => p[d])));
      return [0, 1, 2].every((d) => layer.extentsMin[d] <= lo[d] + 1e-3 && layer.extentsMin[d] >= lo[d] - rmax - 1e-3 &&
        layer.extentsMax[d] >= hi[d] - 1e-3 && layer.extentsMax[d] <= hi[d] + rmax + 1e-3);
    };
    check(layers.length > 0 && layers.every((l) => l.inScene && l.visible && l.vertices > 0), 'plan layers are meshes of the scene');
    check(layers.every((l) => [0, 1, 2].every((d) => near(l.meshMin[d], l.extentsMin[d], 0.01) && near(l.meshMax[d], l.extentsMax[d], 0.01))),
      'NiiVue holds the plan meshes with the extents built');
    if (feeders) {
      const all = feeders.tumours.flatMap((t) => t.feeders.map((f) => [t.label, f]));
      const scale = await page.evaluate(() => window.carmViewer.plan.feederScale);
      const fl = layers.filter((l) => l.kind === 'feeder' && l.source === feedersPath);
      check(all.length > 0 && fl.length === all.length, `one tube per feeder (${fl.length} drawn, ${all.length} in ${feedersPath})`);
      all.forEach(([label, f], i) => {
        const rmax = scale * Math.max(0.5, ...f.radius);
        check(fl[i] && fl[i].name.includes('T' + label) && tubeOk(fl[i], f.points.map(ras), rmax),
          `feeder ${i + 1} (tumour ${label}, segment ${f.segment}) drawn along its points in RAS`);
        // the same tube in LPS (no conversion) would be elsewhere
        check(fl[i] && !tubeOk(fl[i], f.points, rmax), `feeder ${i + 1} is not drawn in LPS`);
      });
    }
    if (ablation) {
      const t = ablation.trajectories.find((x) => x.valid !== false) || ablation.trajectories[0];
      const nl = layers.filter((l) => l.kind === 'needle');
      check(nl.length === 1 && tubeOk(nl[0], [ras(t.entry_mm), ras(t.target_mm)], 0.75), 'needle drawn from entry to target (RAS)');
      const zl = layers.filter((l) => l.kind === 'zone');
      const c = ras(t.zone.centre_mm);
      const u = ras(t.zone.axis);
      const un = Math.hypot(...u);
      const a = t.zone.long_mm / 2;
      const b = t.zone.short_mm / 2;
      // the box of an ellipsoid: half-width sqrt(a^2 u_d^2 + b^2 (1 - u_d^2))
      const hw = u.map((v) => Math.sqrt(a * a * (v / un) ** 2 + b * b * (1 - (v / un) ** 2)));
      check(zl.length === 1 && [0, 1, 2].every((d) => near(zl[0].extentsMin[d], c[d] - hw[d], 0.03 * hw[d] + 0.05) &&
        near(zl[0].extentsMax[d], c[d] + hw[d], 0.03 * hw[d] + 0.05)),
        `ablation zone drawn as its ellipsoid (${t.zone.long_mm} x ${t.zone.short_mm} mm) at its centre (RAS)`);
    }
    // the toggles: all plan layers off changes the picture, on restores it
    const grab = async () => PNG.sync.read(await canvas.screenshot()).data;
    const on = await grab();
    for (const k of ['feeder', 'needle', 'zone']) {
      if (await page.isEnabled('#show-' + k)) await page.uncheck('#show-' + k);
    }
    await page.waitForTimeout(800);
    const hidden = await page.evaluate(() => window.carmViewer.plan.layers.every((l) => !l.visible && !l.mesh.visible));
    const off = await grab();
    let changed = 0;
    for (let i = 0; i < Math.min(on.length, off.length); i += 4) {
      if (Math.abs(on[i] - off[i]) + Math.abs(on[i + 1] - off[i + 1]) + Math.abs(on[i + 2] - off[i + 2]) > 30) changed++;
    }
    check(hidden && changed > 200, `switching the plan layers off hides them (${changed} pixels changed)`);
    for (const k of ['feeder', 'needle', 'zone']) {
      if (await page.isEnabled('#show-' + k)) await page.check('#show-' + k);
    }
    await page.waitForTimeout(300);
    check(await page.evaluate(() => window.carmViewer.plan.layers.every((l) => l.visible)), 'switching them on shows them again');
    const text = await page.textContent('#plan');
    check(!feeders || text.includes('feeder'), 'the plan panel lists the feeders');
    check(!ablation || text.includes('coverage'), 'the plan panel gives the ablation coverage');
  }
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
