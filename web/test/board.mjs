// Browser test of the tumour-board page: headless Chromium (Debian) driven by
// playwright-core loads /board.html from a running `carm serve --board DB`,
// checks the case list and its key figures against the API, opens a case,
// records a decision through the form, and reads it back from the store via
// the API; a decision the store refuses (a deviation without its reason)
// shows the store's message and records nothing.
// Usage: node web/test/board.mjs PORT CASE MEETING SCREENSHOT.png
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'package.json'));
const { chromium } = require('playwright-core');

const [port, pseudonym, meeting, shot] = process.argv.slice(2);
const base = `http://127.0.0.1:${port}`;
let failed = 0;
let passed = 0;
const check = (cond, what) => {
  if (cond) passed++;
  else { failed++; console.error('FAIL:', what); }
};
const getJSON = async (p) => (await fetch(base + p)).json();

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto(base + '/board.html', { waitUntil: 'load' });
  await page.waitForFunction(() => window.carmBoard && window.carmBoard.ready, null, { timeout: 30000 });
  const list = await getJSON('/api/board');
  const rows = await page.locator('#cases tbody tr').count();
  check(rows === list.cases.length, `one row per case (${rows})`);
  const c = list.cases.find((x) => x.pseudonym === pseudonym);
  const row = page.locator(`#cases tbody tr[data-pseudonym="${pseudonym}"]`);
  const cells = await row.locator('td').allTextContents();
  check(cells[1] === c.stage, `stage shown (${cells[1]})`);
  check(cells[2] === `${c.child_pugh_class} (${c.child_pugh_score})`, `Child-Pugh shown (${cells[2]})`);
  check(cells[3] === String(c.meld), `MELD shown (${cells[3]})`);
  check(cells[6] === String(c.tumours) && cells[7] === `${c.largest_mm} mm`, 'tumour count and largest shown');
  check(cells[8] === 'pending', 'pending at this meeting');
  await page.selectOption('#meeting', meeting);
  await row.click();
  await page.waitForFunction((p) => window.carmBoard.caseDoc && window.carmBoard.caseDoc.pseudonym === p, pseudonym);
  check((await page.textContent('#decisions')).includes('no decision recorded'), 'no decision yet');
  const src = await page.getAttribute('#sheet', 'src');
  const sheet = await fetch(base + src);
  const bytes = new Uint8Array(await sheet.arrayBuffer());
  check(sheet.status === 200 && sheet.headers.get('content-type') === 'application/pdf' &&
    String.fromCharCode(...bytes.slice(0, 5)) === '%PDF-', 'the embedded sheet is a PDF');
  const options = await page.locator('#option-list option').evaluateAll((os) => os.map((o) => o.value));
  check(options.length > 0, 'BCLC options offered: ' + options.join(', '));

  // a deviation without its reason: refused by the store, shown, nothing written
  await page.fill('#f-option', 'sorafenib');
  await page.fill('#f-rationale', 'tried without a reason');
  await page.fill('#f-actor', 'dr.browser');
  await page.click('#f-submit');
  await page.waitForFunction(() => window.carmBoard.error, null, { timeout: 20000 });
  check((await page.textContent('#form-error')).includes('deviat'), 'refusal shown: ' + await page.textContent('#form-error'));
  check((await getJSON('/api/board/cases/' + pseudonym)).decisions.length === 0, 'nothing recorded on refusal');

  // the real decision
  await page.fill('#f-option', options[0]);
  await page.fill('#f-rationale', 'Recorded from the board page in the browser');
  await page.fill('#f-follow-up', 'CT in 3 months');
  await page.fill('#f-follow-up-on', '2027-02-20');
  await page.click('#f-submit');
  await page.waitForFunction(() => window.carmBoard.lastDecision, null, { timeout: 20000 });
  const id = await page.evaluate(() => window.carmBoard.lastDecision.decision);
  const doc = await getJSON('/api/board/cases/' + pseudonym);
  const d = doc.decisions.find((x) => x.id === id);
  check(d !== undefined, 'the decision is in the store');
  check(d && d.chosen_option === options[0] && d.rationale === 'Recorded from the board page in the browser' &&
    d.decided_by === 'dr.browser' && d.meeting_id === Number(meeting) && d.follow_up_on === '2027-02-20' &&
    d.follow_up === 'CT in 3 months', 'stored as entered: ' + JSON.stringify(d));
  check(d && d.guideline_option && d.guideline_option.includes(options[0]), 'guideline resolved from BCLC');
  await page.waitForFunction((p) => {
    const r = document.querySelector(`#cases tbody tr[data-pseudonym="${p}"]`);
    return r && r.children[8].textContent === 'decided';
  }, pseudonym, { timeout: 20000 });
  // the case list is refreshed before the case itself is fetched again: wait for both
  const listed = await page.waitForFunction(
    () => (document.getElementById('decisions').textContent || '').includes('Recorded from the board page'),
    null, { timeout: 20000 }).then(() => true, () => false);
  check(listed, 'the page lists the decision');
  await page.screenshot({ path: shot, fullPage: true });
  check(errors.length === 0, 'no page errors: ' + errors.join('; '));
} finally {
  await browser.close();
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
