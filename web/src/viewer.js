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
  window.carmViewer = { nv: nv, ready: false, points: [] };

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
