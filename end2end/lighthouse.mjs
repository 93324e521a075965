// Lighthouse 12 (Node API) on the built app, run by `cargo xtask bench lighthouse`, which starts two
// relays with identical headers: one serving the app, one serving a minimal accessible reference
// page (the baseline). Debian's Chromium via puppeteer-core (CHROME_PATH); never downloads a browser.
//
//   node lighthouse.mjs --app http://127.0.0.1:PORT --reference http://127.0.0.1:PORT2
//
// Audits what a care manager sees:
//   - first_screen: `/` on a fresh device, as a Lighthouse navigation (accessibility, best-practices,
//     performance). Whatever main shows there: the lock's "set a PIN" screen, or Today.
//   - today / caseload / chart: Lighthouse snapshots (accessibility, best-practices) after the PIN is
//     set (if the app asks for one) and three patients are added; chart = one patient's overview.
//   - reference_navigation / reference_snapshot: the reference page in both modes.
// Prints ONE JSON object on stdout: {"lighthouse", "chromium", "screens": {name: {mode, url,
// categories: {id: score 0..1}, failing: [{id, title, category, score, weight, display}],
// unscored: [{id, title, category, items}]}}, "flow_error"?}. Progress and Lighthouse's log go to
// stderr; with `--reports DIR` each screen's full HTML report is written to DIR/<screen>.html.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateReport, navigation, snapshot } from 'lighthouse';
import puppeteer from 'puppeteer-core';
import { CHROMIUM_ARGS } from './harness.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`usage: node lighthouse.mjs --app URL --reference URL (missing --${name})`);
  return process.argv[i + 1];
};
const APP = arg('app');
const REFERENCE = arg('reference');
// Optional: where to write each screen's full HTML report (for a human to read).
const REPORTS = process.argv.includes('--reports') ? arg('reports') : null;
const PIN = '482915';
const log = (...a) => console.error('lighthouse.mjs:', ...a);

const NAVIGATION_CATEGORIES = ['accessibility', 'best-practices', 'performance'];
// Snapshots have no performance category worth the name (no load).
const SNAPSHOT_CATEGORIES = ['accessibility', 'best-practices'];
const flags = (onlyCategories) => ({ logLevel: 'error', output: 'json', onlyCategories });

/** Scores and the audits that cost points (score < 1, scored — not informative/manual/n/a). */
function summarize(mode, lhr) {
  const categories = {};
  const failing = [];
  const unscored = [];
  for (const [id, cat] of Object.entries(lhr.categories)) {
    categories[id] = cat.score;
    for (const ref of cat.auditRefs) {
      const audit = lhr.audits[ref.id];
      if (!audit) continue;
      const scored = ['binary', 'numeric', 'metricSavings'].includes(audit.scoreDisplayMode);
      if (audit.scoreDisplayMode === 'error' || (scored && audit.score !== null && audit.score < 1)) {
        failing.push({
          id: ref.id,
          title: audit.title,
          category: id,
          score: audit.score,
          weight: ref.weight,
          display: audit.displayValue ?? audit.errorMessage ?? '',
        });
      } else if (audit.scoreDisplayMode === 'informative' && id !== 'performance' && audit.details?.items?.length) {
        // Unscored findings (e.g. CSP / HSTS / clickjacking checks in best-practices): worth a look.
        unscored.push({ id: ref.id, title: audit.title, category: id, items: audit.details.items.length });
      }
    }
  }
  return { mode, url: lhr.finalDisplayedUrl, categories, failing, unscored, runtime_errors: lhr.runtimeError ? [lhr.runtimeError.message] : [] };
}

/** Tries of a navigation audit: Lighthouse's trace recording sometimes fails (e.g. NO_NAVSTART)
 * and its own advice is to run it again; each try starts from cleared storage. */
const NAVIGATION_TRIES = 3;

async function audit(page, name, mode, url) {
  const t0 = Date.now();
  let result;
  for (let tries = 1; ; tries++) {
    result = mode === 'navigation'
      ? await navigation(page, url, { flags: flags(NAVIGATION_CATEGORIES) })
      : await snapshot(page, { flags: flags(SNAPSHOT_CATEGORIES) });
    const failed = result?.lhr?.runtimeError;
    if (mode !== 'navigation' || !failed || tries >= NAVIGATION_TRIES) break;
    log(`${name}: Lighthouse could not record the load (${failed.code}); trying again`);
  }
  if (!result) throw new Error(`lighthouse returned nothing for ${name}`);
  if (REPORTS) {
    await mkdir(REPORTS, { recursive: true });
    await writeFile(join(REPORTS, `${name}.html`), generateReport(result.lhr, 'html'));
  }
  const s = summarize(mode, result.lhr);
  log(`${name} (${mode}, ${Date.now() - t0} ms):`, JSON.stringify(s.categories));
  return s;
}

const byAria = (role, name) => `::-p-aria([name="${name}"][role="${role}"])`;

/** The control a visible <label> with exactly this text labels (wrapping or `for`). */
async function fillByLabel(page, label, value) {
  const handle = await page.waitForFunction((text) => {
    for (const l of document.querySelectorAll('label')) {
      // The label's text, or one of its children's (e.g. <span>New PIN</span> plus a hint).
      const texts = [l.textContent, ...[...l.childNodes].map((n) => n.textContent)].map((t) => t.trim());
      if (texts.includes(text) && l.control) return l.control;
    }
    return document.querySelector(`input[aria-label="${text}"]`);
  }, { timeout: 30000 }, label);
  await handle.asElement().type(value);
}

async function heading(page, name, timeout = 30000) {
  await page.waitForSelector(byAria('heading', name), { timeout });
}

/** The lock's first-run screen, if main has one; otherwise nothing to do. */
async function setPinIfAsked(page) {
  const first = await Promise.race([
    page.waitForSelector(byAria('heading', 'Protect patient data on this device'), { timeout: 30000 }).then(() => 'pin'),
    page.waitForSelector(byAria('heading', 'Today'), { timeout: 30000 }).then(() => 'today'),
  ]);
  if (first !== 'pin') return false;
  await fillByLabel(page, 'New PIN', PIN);
  await fillByLabel(page, 'Repeat new PIN', PIN);
  await page.locator(byAria('button', 'Set PIN')).click();
  await heading(page, 'Who is using this device?', 60000);
  await fillByLabel(page, 'Your name', 'Ana López');
  await page.locator(byAria('button', 'Continue')).click();
  await heading(page, 'Today', 60000);
  return true;
}

async function addPatients(page) {
  await page.locator(`nav[aria-label="Main"] ${byAria('link', 'Caseload')}`).click();
  await heading(page, 'Caseload');
  for (const [given, family] of [['Rosa', 'Diaz'], ['Walter', 'Okafor'], ['Mei', 'Chen']]) {
    await fillByLabel(page, 'Given name', given);
    await fillByLabel(page, 'Family name', family);
    await page.locator(byAria('button', 'Add patient')).click();
    await page.waitForFunction((n) => [...document.querySelectorAll('ul[aria-label="Patients"] a')]
      .some((a) => a.textContent.includes(n)), { timeout: 30000 }, `${family}, ${given}`);
  }
  await page.waitForFunction(() => [...document.querySelectorAll('[role=status]')]
    .some((e) => e.textContent.includes('All changes saved on this device')), { timeout: 30000 });
}

async function main() {
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROME_PATH || '/usr/bin/chromium',
    headless: true,
    args: CHROMIUM_ARGS,
  });
  const out = { lighthouse: '12.8.2', chromium: await browser.version(), screens: {} };
  try {
    // The baseline first: the reference page, served by an identical relay.
    const ref = await browser.newPage();
    out.screens.reference_navigation = await audit(ref, 'reference_navigation', 'navigation', REFERENCE);
    out.screens.reference_snapshot = await audit(ref, 'reference_snapshot', 'snapshot');
    await ref.close();

    const page = await browser.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    out.screens.first_screen = await audit(page, 'first_screen', 'navigation', APP);
    try {
      // Lighthouse leaves the page emulated (mobile); the snapshots audit it as it is.
      const pinSet = await setPinIfAsked(page);
      log(pinSet ? 'PIN set on the first-run screen' : 'no PIN screen on main: Today is the first screen');
      await addPatients(page);
      await page.locator(`nav[aria-label="Main"] ${byAria('link', 'Today')}`).click();
      await heading(page, 'Today');
      out.screens.today = await audit(page, 'today', 'snapshot');
      await page.locator(`nav[aria-label="Main"] ${byAria('link', 'Caseload')}`).click();
      await heading(page, 'Caseload');
      await page.waitForSelector('ul[aria-label="Patients"] a');
      out.screens.caseload = await audit(page, 'caseload', 'snapshot');
      await page.evaluate(() => [...document.querySelectorAll('ul[aria-label="Patients"] a')]
        .find((a) => a.textContent.includes('Diaz, Rosa')).click());
      await heading(page, 'Diaz, Rosa');
      out.screens.chart = await audit(page, 'chart', 'snapshot');
    } catch (e) {
      // The navigation result stands; the flow's failure is reported, not hidden.
      out.flow_error = `${e.message}${errors.length ? ` (page errors: ${errors.join('; ')})` : ''}`;
      log('flow FAILED:', out.flow_error);
    }
  } finally {
    await browser.close();
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
