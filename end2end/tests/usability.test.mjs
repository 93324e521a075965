// Usable with one hand on a phone and at a glance on a tablet (issue 23): the phone's bar is one
// compact row (measured) with the save/sync details on demand and the main navigation at the
// bottom; every chart section is reachable and named on a phone; lists come before forms; the
// caseload and the chart agree on the risk tier; Today shows every due and overdue item; the
// PHQ-9 safety flag is acknowledged, assessed and leaves Today while staying in the history; a
// signed visit note is read-only and takes addenda; the score trend is a labelled chart with a
// table; no stale saved message. Screenshots of every screen at both sizes; axe clean.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWPORTS, chartSection, openNewPatient, passLock, withRelayAndBrowser } from '../harness.mjs';
import { addDays, inspect, localToday, useForm } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

const SECTIONS = [
  'Overview', 'Conditions & medications', 'Hospital & transitions', 'Contacts & care team', 'Assessment',
  'Care plan', 'Visits & calls', 'Follow-ups', 'Referrals & insurance', 'Education', 'Programs & time',
];
const saved = (page) => page.getByRole('status').filter({ hasText: /All changes saved on this device at/ }).first().waitFor();
const mainNav = (page) => page.getByRole('navigation', { name: 'Main' });

const TITLES = { Resources: 'Community resources', Billing: /^Billing report/ };
async function go(page, where) {
  await mainNav(page).getByRole('link', { name: where, exact: true }).click();
  await page.getByRole('heading', { level: 1, name: TITLES[where] ?? where }).waitFor();
}

async function addPatient(page, given, family) {
  await go(page, 'Caseload');
  await openNewPatient(page);
  await page.getByLabel('Given name').fill(given);
  await page.getByLabel('Family name').fill(family);
  await page.getByRole('button', { name: 'Add patient' }).click();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: new RegExp(`${family}, ${given}`) }).waitFor();
}

async function openChart(page, name) {
  await go(page, 'Caseload');
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: new RegExp(name) }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** The risk tier a caseload row shows ("Risk: Low") and the one the chart header shows. */
async function tiers(page, name) {
  await go(page, 'Caseload');
  const row = await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: new RegExp(name) }).innerText();
  const listed = /Risk: ([^\n·]+)/.exec(row)?.[1]?.trim();
  await openChart(page, name);
  const header = await page.getByText(/Risk tier: /).first().innerText();
  const charted = /Risk tier: ([^\n·]+)/.exec(header)?.[1]?.trim();
  return { listed, charted };
}

/** A fresh device at `viewport` with the PIN set, at `path`; page errors and screen problems collected. */
async function device(viewport, path) {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${relay.url}${path}`);
  await passLock(page);
  return { context, page, errors, problems: [] };
}

/** Nothing axe or the target check found, no page error; then the device goes. */
async function done({ context, errors, problems }) {
  assert.deepEqual(problems, []);
  assert.deepEqual(errors, []);
  await context.close();
}

test('on a phone: one compact bar, navigation at the bottom, sections reachable, lists before forms, one tier', async () => {
  const dev = await device(VIEWPORTS.phone, '/');
  const { page, problems } = dev;
  await page.getByRole('heading', { level: 1, name: 'Today' }).waitFor();

  // The bar: one row, at most 64 px, with "saved / synced" at a glance.
  const bar = await page.getByRole('banner').boundingBox();
  assert.ok(bar.height <= 64, `the phone's bar is ${bar.height} px high (at most 64)`);
  const glance = page.getByRole('banner').getByRole('button', { name: /Saved/ });
  assert.equal(await glance.getAttribute('aria-expanded'), 'false');
  assert.match(await glance.innerText(), /Saved\s*·\s*This device only/);
  // The details open on demand, below the bar (the bar keeps its height), and close with Escape.
  await glance.click();
  const details = page.getByRole('status').filter({ hasText: 'All changes saved on this device' });
  assert.ok((await details.boundingBox()).height > 10, 'the save details show');
  assert.ok((await page.getByRole('banner').boundingBox()).height <= 64, 'the open details do not grow the bar');
  await inspect(page, 'phone', 'status-details', problems);
  await page.keyboard.press('Escape');
  assert.equal(await glance.getAttribute('aria-expanded'), 'false');

  // The main navigation sits at the bottom of the screen, every destination in one row.
  const nav = await mainNav(page).boundingBox();
  assert.ok(Math.abs(nav.y + nav.height - VIEWPORTS.phone.height) <= 1, 'the navigation is at the bottom');
  for (const where of ['Today', 'Caseload', 'Resources', 'Billing', 'Team', 'Settings']) {
    const link = await mainNav(page).getByRole('link', { name: where, exact: true }).boundingBox();
    assert.ok(link.x >= 0 && link.x + link.width <= VIEWPORTS.phone.width + 0.5 && Math.abs(link.y - nav.y) <= 1, `${where} is in the bottom row`);
  }
  await inspect(page, 'phone', 'today-empty', problems);

  // Caseload: the list first; the add form and the filters open on demand.
  await go(page, 'Caseload');
  assert.equal(await page.getByLabel('Given name').count(), 0, 'no add form until asked');
  assert.equal(await page.getByLabel('Risk tier').isVisible(), false, 'the filters wait behind "Filters"');
  await addPatient(page, 'Nina', 'Okoye');
  await addPatient(page, 'Omar', 'Haddad');
  await page.getByRole('button', { name: 'Close' }).click();
  await page.getByLabel('Given name').waitFor({ state: 'detached' });
  const first = await page.getByRole('list', { name: 'Patients' }).getByRole('link').first().boundingBox();
  const navTop = (await mainNav(page).boundingBox()).y;
  assert.ok(first.y + first.height <= navTop, `the first patient shows without scrolling (at ${first.y} px)`);
  const filters = page.getByRole('button', { name: /^Filters/ });
  await filters.click();
  await page.getByLabel('Risk tier').selectOption('very_high');
  await page.getByRole('button', { name: 'Filters (1 set)' }).waitFor();
  await page.getByText('No patient matches your search and filters.').waitFor();
  await page.getByLabel('Risk tier').selectOption('');
  await inspect(page, 'phone', 'caseload', problems);

  // One rule for the tier, the same answer on both screens, for a patient just added.
  const { listed, charted } = await tiers(page, 'Okoye, Nina');
  assert.ok(listed && listed !== 'Not assessed', `the caseload shows a tier (${listed})`);
  assert.equal(listed, charted, 'the caseload and the chart show the same tier');

  // Every chart section: named by the current section's button, reachable, its label whole.
  const sections = page.getByRole('navigation', { name: 'Chart sections' });
  await sections.getByRole('button', { name: 'Section: Overview' }).waitFor();
  assert.equal(await sections.getByRole('link', { name: 'Overview', exact: true }).isVisible(), false, 'the list waits behind the button');
  for (const name of SECTIONS) {
    await sections.getByRole('button', { name: /^Section:/ }).click();
    const link = sections.getByRole('link', { name, exact: true });
    const box = await link.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= VIEWPORTS.phone.width, `${name} fits the screen`);
    const clipped = await link.evaluate((a) => a.scrollWidth > a.clientWidth + 1);
    assert.equal(clipped, false, `${name}'s label is not clipped`);
    await link.click();
    await sections.getByRole('button', { name: `Section: ${name}` }).waitFor();
    assert.equal(await link.isVisible(), false, 'the list closes once a section is chosen');
    await inspect(page, 'phone', `chart-${name.toLowerCase().replace(/[^a-z]+/g, '-')}`, problems);
  }

  for (const where of ['Resources', 'Billing', 'Team', 'Settings']) {
    await go(page, where);
    await inspect(page, 'phone', where.toLowerCase(), problems);
  }
  await done(dev);
});

test('Today lists every due and overdue item, on a tablet and a phone', async () => {
  const dev = await device(VIEWPORTS.tablet, '/caseload');
  const { page, problems } = dev;
  await addPatient(page, 'Lena', 'Park');
  await openChart(page, 'Park, Lena');
  const today = await localToday(page);
  await chartSection(page, 'Follow-ups');
  const due = [
    [addDays(today, -3), 'Call about the new inhaler'],
    [today, 'Check blood pressure log'],
    [today, 'Confirm podiatry appointment'],
  ];
  for (const [day, reason] of due) {
    await useForm(page, page, 'Schedule follow-up', [['Follow-up by', 'Call'], ['Follow-up date', day], ['Reason for follow-up', reason]],
      'Save follow-up', 'Follow-up scheduled.');
  }
  await saved(page);

  // The tablet's bar shows the full texts, no compact line.
  assert.equal(await page.getByRole('banner').getByRole('button', { name: /Saved/ }).isVisible(), false);
  await page.getByRole('banner').getByText('All changes saved on this device at').waitFor();

  for (const [size, viewport] of [['tablet', VIEWPORTS.tablet], ['phone', VIEWPORTS.phone]]) {
    await page.setViewportSize(viewport);
    await go(page, 'Today');
    // Both of today's items, each its own row, although an older one is overdue.
    const agenda = page.getByRole('list', { name: 'Agenda' });
    for (const [day, reason] of due.filter(([day]) => day === today)) {
      await agenda.getByRole('link', { name: new RegExp(`Park, Lena.*Follow-up: ${reason}`) }).waitFor();
    }
    assert.equal(await agenda.getByRole('link').count(), 2, 'two rows due today');
    // The overdue one is on the worklist with how late it is.
    await page.getByRole('list', { name: 'Worklist' })
      .getByRole('link', { name: /Park, Lena.*Follow-up overdue by 3 days: Call about the new inhaler/ }).waitFor();
    await inspect(page, size, 'today-due', problems);
  }

  // Every screen at tablet size, for a person to look at (the phone test does the same at 390 px).
  await page.setViewportSize(VIEWPORTS.tablet);
  for (const where of ['Caseload', 'Resources', 'Billing', 'Team', 'Settings']) {
    await go(page, where);
    await inspect(page, 'tablet', `screen-${where.toLowerCase()}`, problems);
  }
  await openChart(page, 'Park, Lena');
  for (const name of SECTIONS) {
    await chartSection(page, name);
    await page.locator('.chart-nav a[aria-current="page"]', { hasText: name }).waitFor({ state: 'attached' });
    await inspect(page, 'tablet', `chart-${name.toLowerCase().replace(/[^a-z]+/g, '-')}`, problems);
  }
  await done(dev);
});

test('the PHQ-9 safety flag is acknowledged, assessed and leaves Today; a signed visit note takes only addenda', async () => {
  const dev = await device(VIEWPORTS.tablet, '/caseload');
  const { page, problems } = dev;
  await addPatient(page, 'Tomas', 'Berg');
  await openChart(page, 'Berg, Tomas');

  // A PHQ-9 of 9 with item 9 positive: the live score names the flag, never "negative screen".
  await chartSection(page, 'Assessment');
  const phq = page.getByRole('form', { name: /PHQ-9/ });
  const answers = ['Several days', 'Several days', 'Several days', 'Several days', 'Several days', 'Several days', 'Several days', 'Several days', 'Several days'];
  for (const [i, answer] of answers.entries()) {
    await phq.getByRole('group', { name: new RegExp(`^${i + 1}\\. `) }).getByRole('radio', { name: answer }).check();
  }
  const live = phq.getByRole('status').filter({ hasText: 'Score 9 of 27' });
  await live.waitFor();
  assert.doesNotMatch(await live.innerText(), /negative screen/i, 'a flagged PHQ-9 is not called a negative screen');
  await phq.getByRole('button', { name: 'Save PHQ-9' }).click();
  const flag = page.getByRole('alert').filter({ hasText: 'Safety flag: PHQ-9 item 9 positive' });
  await flag.waitFor();
  await flag.getByText(/988/).waitFor();
  await saved(page);

  // Today: the reason appears once in the patient's row.
  await go(page, 'Today');
  const row = page.getByRole('list', { name: 'Worklist' }).getByRole('link', { name: /Berg, Tomas/ });
  const reasons = await row.innerText();
  assert.equal(reasons.match(/Safety flag/g)?.length, 1, `the safety reason once: ${reasons}`);
  assert.match(reasons, /needs same-day safety assessment/);

  // Acknowledge, then record the assessment and plan.
  await openChart(page, 'Berg, Tomas');
  await page.getByRole('button', { name: 'Acknowledge' }).click();
  await page.getByRole('status').filter({ hasText: /^Acknowledged by / }).waitFor();
  await inspect(page, 'tablet', 'safety-flag', problems);
  await page.getByRole('button', { name: 'Record safety assessment' }).click();
  const form = page.getByRole('form', { name: /^Safety assessment for the PHQ-9/ });
  await form.getByLabel('Assessed by').fill('Lee Kim, LCSW');
  await form.getByLabel('Risk level').selectOption({ label: 'Low' });
  await form.getByLabel('Crisis line given').check();
  await form.getByLabel('Safety plan').fill('Daughter stays tonight; firearms stored with neighbour; 988 card given.');
  await form.getByRole('button', { name: 'Save safety assessment' }).click();
  await page.getByText('Safety assessed').filter({ hasText: 'by Lee Kim, LCSW — risk low' }).first().waitFor();
  assert.equal(await page.getByRole('alert').filter({ hasText: 'Safety flag' }).count(), 0, 'the alert is gone');
  await saved(page);

  // It leaves Today's safety reason, and stays in the history.
  await go(page, 'Today');
  await page.getByRole('heading', { level: 2, name: 'Worklist' }).waitFor();
  assert.equal(await page.getByText(/Safety flag/).count(), 0, 'no safety flag on Today once assessed');
  await openChart(page, 'Berg, Tomas');
  await page.getByRole('button', { name: /^Show safety assessments \(1\)/ }).click();
  await page.getByRole('list', { name: 'Safety assessments' })
    .getByText(/risk low; crisis line given\. Plan: Daughter stays tonight/).waitFor();

  // A second PHQ-9 (computed here: items 1-3 "More than half the days" = 2 each, the rest 0 → 6,
  // mild): the saved message goes as soon as another one is started, and the trend is a labelled
  // chart with its table.
  await chartSection(page, 'Assessment');
  const second = page.getByRole('form', { name: /PHQ-9/ });
  for (let i = 1; i <= 9; i++) {
    const answer = i <= 3 ? 'More than half the days' : 'Not at all';
    await second.getByRole('group', { name: new RegExp(`^${i}\\. `) }).getByRole('radio', { name: answer }).check();
  }
  await second.getByRole('status').filter({ hasText: 'Score 6 of 27' }).waitFor();
  await second.getByRole('button', { name: 'Save PHQ-9' }).click();
  const savedNote = page.getByRole('status').filter({ hasText: 'Saved PHQ-9: 6 of 27' });
  await savedNote.waitFor();
  await saved(page);
  const third = page.getByRole('form', { name: /PHQ-9/ });
  await third.getByRole('group', { name: /^1\. / }).getByRole('radio', { name: 'Several days' }).check();
  await savedNote.waitFor({ state: 'detached' });
  const chart = page.getByRole('img', { name: /^PHQ-9 trend: 2 results from .* latest 6 of 27/ });
  await chart.waitFor();
  await page.getByText('Show PHQ-9 results as a table').click();
  const table = page.getByRole('table', { name: 'PHQ-9 results' });
  const rows = await table.getByRole('row').allInnerTexts();
  assert.equal(rows.length, 3, 'a header and two results');
  assert.ok(rows.some((r) => /9 of 27/.test(r)) && rows.some((r) => /6 of 27/.test(r)), `both scores in the table: ${rows}`);
  await inspect(page, 'tablet', 'assessment-trend', problems);
  await page.setViewportSize(VIEWPORTS.phone);
  await inspect(page, 'phone', 'assessment-trend', problems);
  await page.setViewportSize(VIEWPORTS.tablet);

  // A visit note: written, signed, then read-only; a later change is an addendum.
  await chartSection(page, 'Visits & calls');
  await useForm(page, page, 'Start a visit or call', [['Subject', 'Safety check']], 'Start note', 'Note started');
  const visit = page.getByRole('article', { name: /Safety check/ });
  const note = visit.getByLabel(/^Note for /);
  await note.click();
  await note.pressSequentially('Calm, engaged; plan reviewed with daughter.');
  await saved(page);
  await visit.getByRole('button', { name: /^Sign note for / }).click();
  await visit.getByText('Sign this note? It cannot be changed afterwards; later additions are addenda.').waitFor();
  await visit.getByRole('button', { name: 'Sign', exact: true }).click();
  await visit.getByText(/^Signed by .* on /).waitFor();
  assert.equal(await visit.getByRole('textbox', { name: /^Note for / }).count(), 0, 'a signed note is not a text box');
  assert.equal(await visit.getByRole('button', { name: /^Sign note/ }).count(), 0);
  await visit.getByText('Calm, engaged; plan reviewed with daughter.').waitFor();
  await visit.getByRole('button', { name: /^Add addendum to note for / }).click();
  await visit.getByLabel('Addendum', { exact: true }).fill('Daughter called back: patient slept well.');
  await visit.getByRole('button', { name: 'Save addendum' }).click();
  const addenda = visit.getByRole('list', { name: /^Addenda to note for / });
  await addenda.getByText('Daughter called back: patient slept well.').waitFor();
  await addenda.getByText(/^Added by .* on /).waitFor();
  await saved(page);
  await inspect(page, 'tablet', 'signed-note', problems);
  await page.setViewportSize(VIEWPORTS.phone);
  await inspect(page, 'phone', 'signed-note', problems);

  // All of it survives a reload.
  await page.reload();
  await passLock(page);
  await page.getByRole('heading', { level: 1, name: 'Berg, Tomas' }).waitFor();
  const reloaded = page.getByRole('article', { name: /Safety check/ });
  await reloaded.getByText(/^Signed by /).waitFor();
  assert.equal(await reloaded.getByRole('textbox', { name: /^Note for / }).count(), 0);
  await done(dev);
});
