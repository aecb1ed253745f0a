// carm tumour board page: the cases of the board store served by `carm serve`
// (GET /api/board) with their key figures, a case's details and its sheet
// (GET /api/board/cases/P, .../sheet.pdf), and a form that records the
// decision (POST /api/board/cases/P/decisions). Plain JavaScript; every
// value from the store goes into the page as text, never as HTML.
(function () {
  'use strict';
  const params = new URLSearchParams(window.location.search);
  const token = params.get('token');
  const headers = token ? { Authorization: 'Bearer ' + token } : {};
  const withToken = (url) => (token ? url + (url.includes('?') ? '&' : '?') + 'token=' + encodeURIComponent(token) : url);
  const $ = (id) => document.getElementById(id);
  const status = (msg) => { $('status').textContent = msg; };
  const state = { ready: false, list: null, selected: null, caseDoc: null, lastDecision: null, error: null };
  window.carmBoard = state;

  async function api(path, options) {
    const r = await fetch(withToken(path), Object.assign({ headers: headers }, options || {}));
    let doc = null;
    try { doc = await r.json(); } catch (e) { doc = null; }
    if (!r.ok) {
      const err = new Error((doc && doc.error) || (path + ': HTTP ' + r.status));
      err.status = r.status;
      throw err;
    }
    return doc;
  }

  function cell(tr, text, cls) {
    const td = document.createElement('td');
    td.textContent = text === null || text === undefined ? '-' : String(text);
    if (cls) td.className = cls;
    tr.appendChild(td);
    return td;
  }

  function meetingId() {
    const v = $('meeting').value;
    return v ? parseInt(v, 10) : null;
  }

  function showQuorum() {
    const id = meetingId();
    const m = (state.list.meetings || []).find((x) => x.id === id);
    const q = $('quorum');
    if (!m) { q.textContent = 'no meeting recorded'; q.className = 'no'; return; }
    q.textContent = m.specialties + ' specialties: ' + (m.quorum ? 'quorum met' : 'no quorum (' + m.quorum_needed + ' needed)') +
      ' - ' + m.attendees.map((a) => a.name + ' (' + a.specialty + ')').join(', ');
    q.className = m.quorum ? '' : 'no';
  }

  function renderList() {
    const tbody = document.querySelector('#cases tbody');
    tbody.textContent = '';
    const id = meetingId();
    for (const c of state.list.cases) {
      const tr = document.createElement('tr');
      tr.dataset.pseudonym = c.pseudonym;
      if (c.pseudonym === state.selected) tr.className = 'selected';
      cell(tr, c.pseudonym);
      cell(tr, c.stage);
      cell(tr, c.child_pugh_class ? c.child_pugh_class + ' (' + c.child_pugh_score + ')' : null);
      cell(tr, c.meld);
      cell(tr, c.meld_na);
      cell(tr, c.albi_grade);
      cell(tr, c.tumours);
      cell(tr, c.largest_mm !== null && c.largest_mm !== undefined ? c.largest_mm + ' mm' : null);
      const decided = id !== null && (c.decided_at || []).includes(id);
      cell(tr, decided ? 'decided' : 'pending', decided ? 'decided' : 'pending');
      cell(tr, c.last_option);
      tr.addEventListener('click', () => selectCase(c.pseudonym));
      tbody.appendChild(tr);
    }
    $('empty').hidden = state.list.cases.length > 0;
  }

  async function loadList() {
    state.list = await api('/api/board');
    const sel = $('meeting');
    const keep = sel.value;
    sel.textContent = '';
    for (const m of state.list.meetings) {
      const o = document.createElement('option');
      o.value = String(m.id);
      o.textContent = '#' + m.id + ' ' + m.held_on + (m.quorum ? '' : ' (no quorum)');
      sel.appendChild(o);
    }
    if (keep && state.list.meetings.some((m) => String(m.id) === keep)) sel.value = keep;
    showQuorum();
    renderList();
  }

  function latestScore(doc, calc) {
    let best = null;
    for (const s of doc.scores || []) if (s.calculator === calc) best = s;
    return best ? best.result : null;
  }

  function renderCase() {
    const doc = state.caseDoc;
    $('detail').hidden = false;
    $('case-title').textContent = 'Case ' + doc.pseudonym;
    const bclc = latestScore(doc, 'bclc');
    const cp = latestScore(doc, 'child-pugh');
    const meld = latestScore(doc, 'meld');
    $('case-summary').textContent =
      (bclc ? 'BCLC ' + bclc.stage + ' (liver function ' + bclc.liver_function + ')' : 'not staged') +
      (cp ? ' - Child-Pugh ' + cp.class + ' (' + cp.score + ')' : '') +
      (meld ? ' - MELD ' + meld.score : '');
    const ul = $('options');
    ul.textContent = '';
    const dl = $('option-list');
    dl.textContent = '';
    for (const o of (bclc ? bclc.options : [])) {
      const li = document.createElement('li');
      li.textContent = o.option + ' (' + o.role + '): ' + o.reason;
      ul.appendChild(li);
      const opt = document.createElement('option');
      opt.value = o.option;
      dl.appendChild(opt);
    }
    $('f-guideline').value = bclc ? 'bclc' : '';
    const ol = $('decisions');
    ol.textContent = '';
    const amends = $('f-amends');
    while (amends.options.length > 1) amends.remove(1);
    for (const d of doc.decisions || []) {
      const li = document.createElement('li');
      li.value = d.id;
      if (d.amended_by) li.className = 'superseded';
      if (d.amends) {
        const b = document.createElement('span');
        b.className = 'amend';
        b.textContent = 'amends #' + d.amends + ': ';
        li.appendChild(b);
      }
      li.appendChild(document.createTextNode(
        '#' + d.id + ' ' + d.chosen_option + ' (meeting ' + d.held_on + ', ' + d.decided_by + '): ' + d.rationale +
        (d.deviation ? ' - deviation: ' + d.deviation : '') + (d.amended_by ? ' [amended by #' + d.amended_by + ']' : '')));
      ol.appendChild(li);
      const o = document.createElement('option');
      o.value = String(d.id);
      o.textContent = '#' + d.id + ' ' + d.chosen_option;
      amends.appendChild(o);
    }
    if (!doc.decisions || doc.decisions.length === 0) {
      const li = document.createElement('li');
      li.textContent = 'no decision recorded';
      ol.appendChild(li);
    }
    refreshSheet();
  }

  function refreshSheet() {
    const id = meetingId();
    // the sheet is made anew on each request; t= keeps the browser from reusing an old one
    const q = (id !== null ? ['meeting=' + id] : []).concat(['t=' + Date.now()]);
    const url = withToken('/api/board/cases/' + encodeURIComponent(state.selected) + '/sheet.pdf?' + q.join('&'));
    $('sheet').src = url;
    $('sheet-link').href = url;
  }

  async function selectCase(pseudonym) {
    state.selected = pseudonym;
    $('form-error').textContent = '';
    try {
      state.caseDoc = await api('/api/board/cases/' + encodeURIComponent(pseudonym));
      renderList();
      renderCase();
      status('case ' + pseudonym);
    } catch (e) {
      status('error: ' + e.message);
    }
  }

  async function submit(ev) {
    ev.preventDefault();
    $('form-error').textContent = '';
    const id = meetingId();
    if (id === null) { $('form-error').textContent = 'choose a meeting first'; return; }
    const body = {
      meeting: id,
      option: $('f-option').value.trim(),
      rationale: $('f-rationale').value.trim(),
      actor: $('f-actor').value.trim(),
    };
    const opt = { guideline: $('f-guideline').value, deviation: $('f-deviation').value.trim(),
      follow_up: $('f-follow-up').value.trim(), follow_up_on: $('f-follow-up-on').value };
    for (const k of Object.keys(opt)) if (opt[k]) body[k] = opt[k];
    if ($('f-amends').value) body.amends = parseInt($('f-amends').value, 10);
    $('f-submit').disabled = true;
    try {
      const r = await api('/api/board/cases/' + encodeURIComponent(state.selected) + '/decisions', {
        method: 'POST',
        headers: Object.assign({ 'Content-Type': 'application/json' }, headers),
        body: JSON.stringify(body),
      });
      state.lastDecision = r;
      state.error = null;
      try { window.localStorage.setItem('carm.actor', body.actor); } catch (e) { /* private mode */ }
      $('decide').reset();
      $('f-actor').value = body.actor;
      status('decision #' + r.decision + ' recorded');
      await loadList();
      await selectCase(state.selected);
      status('decision #' + r.decision + ' recorded');
    } catch (e) {
      state.error = e.message;
      $('form-error').textContent = e.message;
      status('not recorded');
    } finally {
      $('f-submit').disabled = false;
    }
  }

  async function main() {
    try { $('f-actor').value = window.localStorage.getItem('carm.actor') || ''; } catch (e) { /* ignore */ }
    if (token) $('viewer-link').href = withToken('index.html');
    $('decide').addEventListener('submit', submit);
    $('meeting').addEventListener('change', () => {
      showQuorum();
      renderList();
      if (state.selected) refreshSheet();
    });
    await loadList();
    const wanted = params.get('case');
    if (wanted && state.list.cases.some((c) => c.pseudonym === wanted)) await selectCase(wanted);
    state.ready = true;
    status(state.list.cases.length + ' case' + (state.list.cases.length === 1 ? '' : 's'));
  }

  main().catch((e) => { status('error: ' + e.message); state.error = e.message; console.error(e); });
})();
