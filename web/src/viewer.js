// carm viewer: NiiVue over the case served by `carm serve`.
// carm works in LPS millimetres; NiiVue reports RAS: x and y change sign.
(function () {
  'use strict';
  const params = new URLSearchParams(window.location.search);
  const token = params.get('token');
  const headers = token ? { Authorization: 'Bearer ' + token } : {};
  const withToken = (url) => (token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url);
  const $ = (id) => document.getElementById(id);
  const status = (msg) => { $('status').textContent = msg; };

  const presets = {
    // ranges for attenuation volumes (1/mm) and HU volumes
    vessels: { mu: [0.025, 0.06], hu: [150, 600] },
    bone: { mu: [0.03, 0.08], hu: [300, 1500] },
    soft: { mu: [0.015, 0.03], hu: [-160, 240] },
  };

  const nv = new niivue.Niivue({
    backColor: [0.05, 0.05, 0.07, 1],
    show3Dcrosshair: true,
    isColorbar: false,
    multiplanarShowRender: niivue.SHOW_RENDER.ALWAYS,
    dragAndDropEnabled: false,
    isRadiologicalConvention: true, // patient's right on the screen's left
  });
  window.carmViewer = { nv: nv, ready: false, points: [], plan: { files: [], layers: [], feederScale: 1.3 } };

  async function api(path, options) {
    const r = await fetch(withToken(path), Object.assign({ headers: headers }, options || {}));
    if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
    return r.json();
  }

  function isHU(vol) { return vol.global_min < -200 || vol.global_max > 200; }

  function applyPreset() {
    const vol = nv.volumes[0];
    if (!vol) return;
    const p = presets[$('preset').value];
    const range = isHU(vol) ? p.hu : p.mu;
    vol.cal_min = range[0];
    vol.cal_max = range[1];
    $('window').value = (range[1] - range[0]).toPrecision(4);
    $('level').value = ((range[0] + range[1]) / 2).toPrecision(4);
    nv.updateGLVolume();
  }

  function applyWindow() {
    const vol = nv.volumes[0];
    const w = parseFloat($('window').value);
    const l = parseFloat($('level').value);
    if (!vol || !(w > 0) || !isFinite(l)) return;
    vol.cal_min = l - w / 2;
    vol.cal_max = l + w / 2;
    nv.updateGLVolume();
  }

  async function loadVolume(url, labels) {
    status('loading ' + url);
    const list = [{ url: withToken(url), name: url.split('/').pop() }];
    for (const lab of labels) {
      list.push({ url: withToken(lab.url), name: lab.path.split('/').pop(), colormap: 'random', opacity: 0.35 });
    }
    await nv.loadVolumes(list);
    applyPreset();
    status('');
  }

  async function refreshPoints() {
    const doc = await api('/api/points');
    const ol = $('points');
    ol.innerHTML = '';
    for (const p of doc.points) {
      const li = document.createElement('li');
      li.textContent = p.kind + (p.label ? ' (' + p.label + ')' : '') + ': ' +
        p.xyz_mm.map((v) => v.toFixed(1)).join(', ') + ' mm';
      ol.appendChild(li);
    }
    window.carmViewer.points = doc.points;
  }

  // ---- plan layers: feeders, needle, ablation zone ------------------------
  // carm's plans (carm plan feeders / ablation -o) hold points in patient LPS
  // mm; NiiVue meshes are RAS: x and y change sign.
  const lpsToRas = (p) => [-p[0], -p[1], p[2]];
  const sub = (a, b) => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
  const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
  const cross = (a, b) => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
  const norm = (a) => { const n = Math.hypot(a[0], a[1], a[2]); return n > 0 ? [a[0] / n, a[1] / n, a[2] / n] : null; };
  const anyPerp = (t) => norm(cross(t, Math.abs(t[0]) < 0.9 ? [1, 0, 0] : [0, 1, 0]));

  // A tube along a polyline (RAS mm) with a radius per point: rings of
  // `sides` vertices in a parallel-transported frame, closed by two caps.
  function tubeMesh(points, radii, sides) {
    const P = [];
    const R = [];
    for (let i = 0; i < points.length; i++) {
      if (P.length === 0 || Math.hypot(...sub(points[i], P[P.length - 1])) > 1e-3) {
        P.push(points[i]);
        R.push(radii[i]);
      }
    }
    if (P.length < 2) return null;
    const pts = [];
    const tris = [];
    let n = null;
    for (let i = 0; i < P.length; i++) {
      const t = norm(sub(P[Math.min(i + 1, P.length - 1)], P[Math.max(i - 1, 0)])) || [0, 0, 1];
      n = n ? norm(sub(n, t.map((v) => v * dot(n, t)))) || anyPerp(t) : anyPerp(t);
      const b = cross(t, n);
      for (let k = 0; k < sides; k++) {
        const a = (2 * Math.PI * k) / sides;
        const c = Math.cos(a) * R[i];
        const s = Math.sin(a) * R[i];
        pts.push(P[i][0] + c * n[0] + s * b[0], P[i][1] + c * n[1] + s * b[1], P[i][2] + c * n[2] + s * b[2]);
      }
      if (i > 0) {
        const r0 = (i - 1) * sides;
        const r1 = i * sides;
        for (let k = 0; k < sides; k++) {
          const k1 = (k + 1) % sides;
          tris.push(r0 + k, r0 + k1, r1 + k, r0 + k1, r1 + k1, r1 + k);
        }
      }
    }
    for (const [ring, end, flip] of [[0, P[0], true], [(P.length - 1) * sides, P[P.length - 1], false]]) {
      const c = pts.length / 3;
      pts.push(end[0], end[1], end[2]);
      for (let k = 0; k < sides; k++) {
        const k1 = (k + 1) % sides;
        if (flip) tris.push(c, ring + k1, ring + k);
        else tris.push(c, ring + k, ring + k1);
      }
    }
    return { pts: new Float32Array(pts), tris: new Uint32Array(tris) };
  }

  // An ellipsoid (RAS mm): semi-axis `a` along the unit `axis`, `b` across.
  function ellipsoidMesh(centre, axis, a, b, rings, sides) {
    const u = norm(axis) || [0, 0, 1];
    const v = anyPerp(u);
    const w = cross(u, v);
    const pts = [];
    const tris = [];
    for (let i = 0; i <= rings; i++) {
      const th = (Math.PI * i) / rings;
      const ca = Math.cos(th) * a;
      const sb = Math.sin(th) * b;
      for (let k = 0; k < sides; k++) {
        const ph = (2 * Math.PI * k) / sides;
        const cv = Math.cos(ph) * sb;
        const sw = Math.sin(ph) * sb;
        for (let d = 0; d < 3; d++) pts.push(centre[d] + ca * u[d] + cv * v[d] + sw * w[d]);
      }
      if (i > 0) {
        const r0 = (i - 1) * sides;
        const r1 = i * sides;
        for (let k = 0; k < sides; k++) {
          const k1 = (k + 1) % sides;
          tris.push(r0 + k, r1 + k, r0 + k1, r0 + k1, r1 + k, r1 + k1);
        }
      }
    }
    return { pts: new Float32Array(pts), tris: new Uint32Array(tris) };
  }

  const feederColours = [[255, 215, 0], [0, 220, 255], [255, 80, 220], [90, 255, 90], [255, 140, 0]];

  function addLayer(kind, name, source, geom, rgba, opacity) {
    if (!geom) return;
    const mesh = new niivue.NVMesh(geom.pts, geom.tris, name, new Uint8Array(rgba), opacity, true, nv.gl);
    nv.addMesh(mesh);
    const lo = [Infinity, Infinity, Infinity];
    const hi = [-Infinity, -Infinity, -Infinity];
    for (let i = 0; i < geom.pts.length; i += 3) {
      for (let d = 0; d < 3; d++) {
        lo[d] = Math.min(lo[d], geom.pts[i + d]);
        hi[d] = Math.max(hi[d], geom.pts[i + d]);
      }
    }
    window.carmViewer.plan.layers.push({
      kind: kind, name: name, source: source, mesh: mesh, vertices: geom.pts.length / 3,
      triangles: geom.tris.length / 3, extentsMin: lo, extentsMax: hi, visible: true,
    });
  }

  function planText(parent, text) {
    const d = document.createElement('div');
    d.textContent = text;
    parent.appendChild(d);
    return d;
  }

  function drawFeeders(doc, path, box) {
    for (const t of doc.tumours || []) {
      planText(box, 'tumour ' + t.label + ': ' + (t.feeders || []).length + ' feeder(s)' +
        (t.passing_segments && t.passing_segments.length ? ', ' + t.passing_segments.length + ' passing' : ''));
      for (const f of t.feeders || []) {
        const pts = (f.points || []).map(lpsToRas);
        // drawn a little wider than the vessel so that it shows over the
        // vessel mesh
        // paths from the tip share their first segments: the better-ranked
        // tube is the wider one, so that it shows where they overlap
        const scale = window.carmViewer.plan.feederScale * Math.max(0.7, 1 - 0.08 * (f.rank - 1));
        const radii = (f.radius || []).map((r) => scale * Math.max(Number(r) || 0, 0.5));
        while (radii.length < pts.length) radii.push(scale * Math.max(f.radius_mm || 0, 0.5));
        const colour = feederColours[(f.rank - 1) % feederColours.length].concat([255]);
        addLayer('feeder', 'feeder T' + t.label + ' #' + f.rank + ' (segment ' + f.segment + ')', path,
          tubeMesh(pts, radii, 10), colour, 1.0);
        const wv = f.working_view;
        planText(box, '  #' + f.rank + ' segment ' + f.segment + ', ' + (f.path_length_mm || 0).toFixed(0) + ' mm from the tip' +
          (wv ? ', view LAO ' + wv.lao_deg.toFixed(0) + ' CRA ' + wv.cra_deg.toFixed(0) +
            ' (foreshortening ' + wv.foreshortening.toFixed(2) + ', overlap ' + wv.overlap.toFixed(2) + ')' : ''));
      }
    }
    if (doc.injection && isFinite(doc.injection.perfused_ml)) {
      planText(box, 'perfused from the tip: ' + doc.injection.perfused_ml.toFixed(0) + ' mL of ' +
        doc.injection.liver_ml.toFixed(0) + ' mL');
    }
  }

  function drawAblation(doc, path, box) {
    const trj = (doc.trajectories || []).filter((t) => t.valid !== false);
    const t = trj.length > 0 ? trj[0] : (doc.trajectories || [])[0];
    if (!t) {
      planText(box, 'ablation: no trajectory');
      return;
    }
    addLayer('needle', 'needle (label ' + doc.target_label + ')', path,
      tubeMesh([lpsToRas(t.entry_mm), lpsToRas(t.target_mm)], [0.75, 0.75], 12), [235, 235, 235, 255], 1.0);
    if (t.zone) {
      addLayer('zone', 'ablation zone ' + t.zone.long_mm + ' x ' + t.zone.short_mm + ' mm', path,
        ellipsoidMesh(lpsToRas(t.zone.centre_mm), lpsToRas(t.zone.axis), t.zone.long_mm / 2, t.zone.short_mm / 2, 24, 32),
        [90, 170, 255, 255], 0.4);
    }
    const cov = t.coverage || {};
    planText(box, 'needle ' + (t.length_mm || 0).toFixed(0) + ' mm, clearance ' + (t.clearance_mm || 0).toFixed(1) +
      ' mm' + (t.valid === false ? ' (NOT valid)' : ''));
    if (isFinite(cov.target_plus_margin)) {
      planText(box, 'coverage of tumour + ' + doc.margin_mm + ' mm: ' + (100 * cov.target_plus_margin).toFixed(0) +
        ' %, minimal margin ' + cov.min_margin_mm.toFixed(1) + ' mm');
    }
    if (t.heat_sink && t.heat_sink.flag) planText(box, 'heat sink: vessel of ' + t.heat_sink.largest_vessel_diameter_mm.toFixed(1) + ' mm');
    if (t.views && t.views.bullseye) {
      planText(box, "bull's-eye LAO " + t.views.bullseye.lao_deg.toFixed(0) + ' CRA ' + t.views.bullseye.cra_deg.toFixed(0));
    }
  }

  function showY90(doc, box) {
    planText(box, 'Y-90 (' + doc.device + '): ' + doc.activity_gbq.toFixed(2) + ' GBq (' + doc.method + '), lung ' +
      doc.lung_dose_gy.toFixed(1) + ' Gy' + (isFinite(doc.tumour_dose_gy) ? ', tumour ' + doc.tumour_dose_gy.toFixed(0) + ' Gy' : ''));
  }

  function showCouinaud(doc, box) {
    for (const it of doc.items || []) {
      planText(box, (it.label !== undefined ? 'label ' + it.label : 'point') + ': segment ' + it.segment);
    }
  }

  function setLayerVisible(kind, on) {
    for (const l of window.carmViewer.plan.layers) {
      if (l.kind !== kind) continue;
      l.visible = on;
      l.mesh.visible = on;
    }
    nv.updateGLVolume();
  }

  async function loadPlans(plans) {
    const box = $('plan');
    const order = { feeders: 0, ablation: 1, views: 2, y90: 3, couinaud: 4 };
    const list = plans.slice().sort((a, b) => order[a.plan] - order[b.plan] || a.path.localeCompare(b.path));
    let drawn = 0;
    for (const p of list.slice(0, 16)) {
      let doc;
      try {
        doc = await api(p.url);
      } catch (e) {
        planText(box, p.path + ': ' + e.message);
        continue;
      }
      planText(box, p.path).className = 'plan-file';
      if (p.plan === 'feeders' && drawn < 4) { drawFeeders(doc, p.path, box); drawn++; }
      else if (p.plan === 'ablation' && drawn < 8) { drawAblation(doc, p.path, box); drawn++; }
      else if (p.plan === 'y90') showY90(doc, box);
      else if (p.plan === 'couinaud') showCouinaud(doc, box);
      else if (p.plan === 'views' && doc.best && doc.best.length) planText(box, 'segment ' + doc.segment + ': best view LAO ' + doc.best[0].lao_deg.toFixed(0) + ' CRA ' + doc.best[0].cra_deg.toFixed(0));
      window.carmViewer.plan.files.push(p.path);
    }
    for (const kind of ['feeder', 'needle', 'zone']) {
      const n = window.carmViewer.plan.layers.filter((l) => l.kind === kind).length;
      const cb = $('show-' + kind);
      cb.disabled = n === 0;
      cb.parentElement.title = n + ' layer(s)';
      cb.addEventListener('change', () => setLayerVisible(kind, cb.checked));
    }
    nv.updateGLVolume();
  }

  nv.onLocationChange = async function (loc) {
    const kind = $('point-kind').value;
    if (!kind || !loc || !loc.mm) return;
    const lps = [-loc.mm[0], -loc.mm[1], loc.mm[2]];
    try {
      await api('/api/points', {
        method: 'POST',
        headers: Object.assign({ 'Content-Type': 'application/json' }, headers),
        body: JSON.stringify({ kind: kind, label: '', xyz_mm: lps }),
      });
      await refreshPoints();
      status(kind + ' placed');
    } catch (e) {
      status('could not store the point: ' + e.message);
    }
  };

  async function main() {
    await nv.attachTo('gl');
    nv.setSliceType(nv.sliceTypeMultiplanar);
    const c = await api('/api/case');
    $('case-name').textContent = c.case;
    const sel = $('volume');
    // label volumes: labels*.nii*, tumours, liver and vessel masks (not the
    // reconstructed mask sweep, mask.mha)
    const isLabel = (v) => /(labels[^/]*|tumours|liver|vessels|seg[^/]*)\.nii(\.gz)?$/i.test(v.path);
    const volumes = c.volumes.filter((v) => !isLabel(v));
    // the overlay drawn: tumours first (small, the point of the case), then
    // other label maps
    const labelRank = (v) => (/tumours/i.test(v.path) ? 0 : /labels/i.test(v.path) ? 1 : 2);
    const labels = c.volumes.filter(isLabel).sort((a, b) => labelRank(a) - labelRank(b));
    // NIfTI first: NiiVue 0.69's MetaImage reader drops leading data bytes
    // equal to 10 or 13 (it skips end-of-line bytes before the data).
    const order = (v) => (/\.nii(\.gz)?$/i.test(v.path) ? 0 : 4) +
      (/dsa/i.test(v.path) ? 0 : /arterial/i.test(v.path) ? 1 : 2);
    volumes.sort((a, b) => order(a) - order(b) || a.path.localeCompare(b.path));
    for (const v of volumes) {
      const o = document.createElement('option');
      o.value = v.url;
      o.textContent = v.path;
      sel.appendChild(o);
    }
    const ov = $('overlays');
    for (const m of c.meshes) {
      const d = document.createElement('div');
      d.textContent = 'mesh: ' + m.path;
      ov.appendChild(d);
    }
    for (const l of labels) {
      const d = document.createElement('div');
      d.textContent = 'labels: ' + l.path;
      ov.appendChild(d);
    }
    for (const p of c.pictures.slice(0, 12)) {
      const img = document.createElement('img');
      img.src = withToken(p.url);
      img.alt = p.path;
      img.title = p.path;
      $('pictures').appendChild(img);
    }
    if (volumes.length > 0) {
      await loadVolume(volumes[0].url, labels.slice(0, 1));
    }
    // NiiVue takes mesh coordinates as RAS: show the meshes carm wrote with
    // --ras (carm's own files are LPS, as its volumes)
    const meshes = c.meshes.filter((m) => /_ras\.(stl|obj|ply)$/i.test(m.path));
    if (meshes.length > 0) {
      try {
        await nv.loadMeshes(meshes.slice(0, 4).map((m) => ({ url: withToken(m.url), name: m.path.split('/').pop(), rgba255: [230, 60, 50, 255] })));
      } catch (e) {
        status('mesh: ' + e.message);
      }
    }
    // after the mesh files: nv.loadMeshes replaces the meshes shown
    try {
      await loadPlans(c.plans || []);
    } catch (e) {
      status('plan: ' + e.message);
    }
    sel.addEventListener('change', () => loadVolume(sel.value, labels.slice(0, 1)));
    $('preset').addEventListener('change', applyPreset);
    $('window').addEventListener('change', applyWindow);
    $('level').addEventListener('change', applyWindow);
    $('mip').addEventListener('change', () => {
      nv.setVolumeRenderIllumination($('mip').checked ? -1 : 0);
    });
    await refreshPoints();
    window.carmViewer.ready = true;
    status(volumes.length > 0 ? 'ready' : 'no volume in this case');
  }

  main().catch((e) => { status('error: ' + e.message); console.error(e); });
})();
