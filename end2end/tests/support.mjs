// Shared helpers for the screen tests: axe-core (WCAG 2.2 AA tags), touch-target sizes and
// screenshots into end2end/screenshots/ (gitignored; for a person to look at).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';

export const SCREENSHOT_DIR = fileURLToPath(new URL('../screenshots/', import.meta.url));
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];

/** Runs axe on the page as it is now; returns readable violations (empty when clean). */
export async function axeViolations(page, screen) {
  const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  return results.violations.map(
    (v) => `${screen}: ${v.id} (${v.impact}) ${v.help} — ${v.nodes.slice(0, 5).map((n) => n.target.join(' ')).join(' | ')}`,
  );
}

/** Interactive elements (not inline text links) smaller than 44x44 CSS px. */
export async function smallTargets(page, screen) {
  const small = await page.$$eval(
    'button, select, input:not([type=radio]):not([type=checkbox]), textarea, label.option, label.check, nav a, .patient-list a, .back a',
    (els) => els
      .filter((el) => el.getClientRects().length > 0)
      .map((el) => ({ el, r: el.getBoundingClientRect() }))
      .filter(({ r }) => r.height < 44 || r.width < 44)
      .map(({ el, r }) => `${el.tagName.toLowerCase()} "${(el.textContent || el.getAttribute('aria-label') || '').trim().slice(0, 30)}" ${Math.round(r.width)}x${Math.round(r.height)}`),
  );
  return small.map((s) => `${screen}: ${s}`);
}

export async function screenshot(page, size, screen) {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  await page.screenshot({ path: `${SCREENSHOT_DIR}${size}-${screen}.png`, fullPage: true });
}

/** Axe, target sizes and a screenshot of the current screen; problems are appended to `problems`. */
export async function inspect(page, size, screen, problems) {
  // Checked at rest at the top of the page: scrolled, the sticky header covers whatever passes
  // under it, which axe would count against those targets.
  await page.evaluate(() => window.scrollTo(0, 0));
  problems.push(...(await axeViolations(page, screen)));
  problems.push(...(await smallTargets(page, screen)));
  await screenshot(page, size, screen);
}

/** The device's local date as "YYYY-MM-DD" (what the app calls today). */
export async function localToday(page) {
  return page.evaluate(() => {
    const d = new Date();
    return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  });
}

// The device lock (issue 7). Every test that opens the app on a fresh profile sets a PIN first;
// a reopened (cold-launched, reloaded after idle) app may be locked and needs `unlock`.
export const TEST_PIN = '482915';

/** The person a test device belongs to unless the test names another ("who I am"). */
export const TEST_PERSON = { name: 'Ana López', role: 'Nurse' };

/**
 * Fills the first-run screens — "Protect patient data on this device", then "Who is using this
 * device?" — and waits for the app.
 */
export async function setUpPin(page, pin = TEST_PIN, person = TEST_PERSON) {
  pin = pin ?? TEST_PIN;
  person = person ?? TEST_PERSON;
  await page.getByRole('heading', { name: 'Protect patient data on this device' }).waitFor();
  await page.getByLabel('New PIN', { exact: true }).fill(pin);
  await page.getByLabel('Repeat new PIN', { exact: true }).fill(pin);
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await sayWhoIAm(page, person);
}

/** Answers "Who is using this device?" and waits for the app. */
export async function sayWhoIAm(page, person = TEST_PERSON) {
  await page.getByRole('heading', { name: 'Who is using this device?' }).waitFor({ timeout: 30000 });
  await page.getByLabel('Your name').fill(person.name);
  await page.getByLabel('Your role').selectOption({ label: person.role });
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Lock', exact: true }).waitFor({ timeout: 30000 });
}

/** Fills the lock screen ("Tend is locked") and waits for the app to be back. */
export async function unlock(page, pin = TEST_PIN) {
  await page.getByRole('heading', { name: 'Tend is locked' }).waitFor();
  await page.getByLabel('PIN', { exact: true }).fill(pin);
  await page.getByRole('button', { name: 'Unlock' }).click();
  await page.getByRole('button', { name: 'Lock', exact: true }).waitFor({ timeout: 30000 });
}

/**
 * Opens an on-demand form, fills its labelled fields, submits, and waits until the form has
 * closed and (when `savedText` is given) its saved note shows. An action that moves its entry
 * (stop, resolve, remove) takes the note with it: the caller then checks the entry instead.
 */
export async function useForm(page, scope, openName, fields, submit, savedText) {
  await scope.getByRole('button', { name: openName, exact: true }).click();
  const form = page.getByRole('form').filter({ has: page.getByRole('button', { name: submit, exact: true }) });
  for (const [label, value] of fields) {
    // The exact label when there is one ("Goal", not "Goal due date"); else the label that
    // starts a longer name (a field whose hint is part of its label).
    const exact = form.getByLabel(label, { exact: true });
    const field = (await exact.count()) === 1 ? exact : form.getByLabel(label);
    if (await field.evaluate((el) => el.tagName === 'SELECT')) await field.selectOption({ label: value });
    else await field.fill(value);
  }
  await form.getByRole('button', { name: submit, exact: true }).click();
  await form.waitFor({ state: 'detached' });
  if (savedText) await page.getByRole('status').filter({ hasText: savedText }).first().waitFor();
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
/** "YYYY-MM-DD" as a UTC midnight Date (calendar arithmetic without time zones). */
export const parseDay = (isoDay) => { const [y, m, d] = isoDay.split('-').map(Number); return new Date(Date.UTC(y, m - 1, d)); };
export const isoDay = (date) => date.toISOString().slice(0, 10);
export const addDays = (day, n) => { const d = parseDay(day); d.setUTCDate(d.getUTCDate() + n); return isoDay(d); };
/** "2026-03-02" → "2 Mar 2026", the chart's date form, computed here independently of the app. */
export const shown = (day) => { const d = parseDay(day); return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`; };
/** "2026-12-04" → "Fri 4 Dec 2026", how deadlines are shown. */
export const weekday = (day) => `${WEEKDAYS[parseDay(day).getUTCDay()]} ${shown(day)}`;

/** The printed page's text (page.pdf, then pdftotext), as a person reading the paper would see it. */
export async function printedText(page) {
  const dir = mkdtempSync(join(tmpdir(), 'tend-print-'));
  const pdf = join(dir, 'printed.pdf');
  writeFileSync(pdf, await page.pdf({ format: 'Letter', printBackground: false }));
  return execFileSync('pdftotext', ['-layout', pdf, '-'], { encoding: 'utf8' }).replace(/\s+/g, ' ');
}
