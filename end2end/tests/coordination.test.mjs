// Coordinating services (issue 16): a community resource directory imported from CSV and shared
// by the workspace, a referral from a care plan need taken through sent → scheduled → completed
// with its outcome (shown on the need, seen by a second device after sync), and an authorization
// denied, then appealed with a medical-necessity statement, its deadline on Today. Phone and
// tablet sizes; axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWPORTS, chartSection, newPatientChart, withRelayAndBrowser } from '../harness.mjs';
import { addPatient, addToCareTeam, device, openChart, pair, saved, unexpectedErrors, upToDate } from './devices.mjs';
import { addDays, inspect, localToday, shown, TEST_PERSON, useForm } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

// A 211-style export: a BOM, CRLF line ends, a quoted value holding commas and a doubled quote.
const ROWS = [
  ['Eastside Food Bank', 'Food Pantry', '512-555-0100', 'English, Spanish', 'Mon-Fri 9-5', '12 Oak St, Austin', 'Bring ID; "walk-ins" welcome'],
  ['RideWell', 'Transportation', '512-555-0101', 'English', '24/7', '40 Elm St', 'Door to door rides'],
  ['Hearth Housing Help', 'Housing', '512-555-0102', 'Vietnamese', 'Tue 10-2', '7 Pine St', 'Rental assistance'],
];
const HEADER = ['Agency Name', 'Service Category', 'Phone', 'Languages', 'Hours', 'Address', 'Description'];
const csvCell = (v) => (/[",\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v);
const csv = (rows) => '\uFEFF' + [HEADER, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';

async function go(page, name) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
}

async function section(page, name) {
  await chartSection(page, name);
  await page.locator('.chart-nav a[aria-current="page"]', { hasText: name }).waitFor({ state: 'attached' });
}

async function chooseCsv(page, text) {
  await page.getByLabel(/^CSV file/).setInputFiles({ name: 'directory.csv', mimeType: 'text/csv', buffer: Buffer.from(text, 'utf8') });
}

/** The referral's card, found by its heading. */
const referralCard = (page, to) => page.getByRole('article').filter({ has: page.getByRole('heading', { name: `Referral to ${to}` }) });

test('a CSV directory, a referral from a need closed with its outcome, seen on a second device', async () => {
  const a = await device(browser, relay, 'A');
  const b = await device(browser, relay, 'B', { name: 'Ben Ortiz', role: 'Social worker' });
  const problems = [];
  try {
    await pair(a, b);
    const today = await localToday(a.page);

    // A broken file: a row without a name. Nothing is imported, the row is named by its line.
    await go(a.page, 'Resources');
    await a.page.getByRole('heading', { level: 1, name: 'Community resources' }).waitFor();
    await a.page.getByRole('button', { name: 'Import from CSV' }).click();
    const broken = [...ROWS, ['', 'Food Pantry', '', '', '', '', '']];
    await chooseCsv(a.page, csv(broken));
    await a.page.getByText('Line 5: it has no name').waitFor();
    await a.page.getByRole('button', { name: 'Import', exact: true }).click();
    await a.page.getByRole('alert').filter({ hasText: 'Nothing was imported: 1 row could not be read' }).waitFor();
    await a.page.getByRole('button', { name: 'Cancel' }).click();
    assert.equal(await a.page.getByRole('list').locator('.org').count(), 0, 'nothing imported from the broken file');

    // The clean file: every row, in one change.
    await a.page.getByRole('button', { name: 'Import from CSV' }).click();
    await chooseCsv(a.page, csv(ROWS));
    await a.page.getByText(`${ROWS.length} organizations read.`).waitFor();
    await a.page.getByRole('button', { name: 'Import', exact: true }).click();
    await a.page.getByRole('status').filter({ hasText: 'Organizations imported.' }).waitFor();
    await saved(a.page);
    const food = ROWS.filter((r) => r.join(' ').toLowerCase().includes('food'));
    await a.page.getByLabel('Search resources').fill('food');
    await a.page.getByRole('status').filter({ hasText: `${food.length} of ${ROWS.length} organizations` }).waitFor();
    for (const r of ROWS) {
      const shouldShow = food.includes(r);
      assert.equal(await a.page.getByRole('heading', { level: 2, name: r[0], exact: true }).count(), shouldShow ? 1 : 0, r[0]);
    }
    // The quoted value with its doubled quote came through whole.
    await a.page.getByText('Bring ID; "walk-ins" welcome').waitFor();
    await a.page.getByLabel('Search resources').fill('');

    // Filters: a language only one organization lists.
    const spanish = ROWS.filter((r) => r[3].split(', ').includes('Spanish'));
    await a.page.getByRole('combobox', { name: 'Language' }).selectOption({ label: 'Spanish' });
    await a.page.getByRole('status').filter({ hasText: `${spanish.length} of ${ROWS.length} organizations` }).waitFor();
    await a.page.getByRole('combobox', { name: 'Language' }).selectOption({ label: 'Any language' });

    // Edit one organization's hours; take another out of the directory.
    const ride = ROWS[1][0];
    await useForm(a.page, a.page, `Edit ${ride}`, [['Hours', 'Mon-Sat 6-22']], 'Save changes', 'Organization updated.');
    await a.page.getByRole('listitem').filter({ has: a.page.getByRole('heading', { name: ride }) }).getByText('Mon-Sat 6-22').waitFor();
    const gone = ROWS[2][0];
    await useForm(a.page, a.page, `Remove ${gone}`, [['Reason', 'Duplicate']], 'Remove from directory');
    await a.page.getByRole('heading', { level: 2, name: gone }).waitFor({ state: 'detached' });
    const kept = ROWS.filter((r) => r[0] !== gone);
    await a.page.getByRole('status').filter({ hasText: `${kept.length} of ${kept.length} organizations` }).waitFor();

    // Refer from the patient's food need.
    await addPatient(a.page, 'Rosa', 'Diaz');
    await openChart(a.page, 'Diaz, Rosa', 'Care plan');
    await useForm(a.page, a.page, 'Add need', [['Need', 'Not enough food at home']], 'Save need', 'Need added.');
    await useForm(a.page, a.page, 'Add goal for Not enough food at home', [['Goal', 'Three meals a day']], 'Save goal', 'Goal added.');
    await useForm(a.page, a.page, 'Refer for this need: Not enough food at home',
      [['Organization', food[0][0]], ['Reason', 'Weekly groceries'], ['For goal', 'Three meals a day']], 'Save referral', 'Referral saved as a draft.');
    await a.page.getByRole('list', { name: 'Referrals for this need' }).getByText(`Referral to ${food[0][0]}: Draft`).waitFor();

    await section(a.page, 'Referrals & insurance');
    const card = referralCard(a.page, food[0][0]);
    await card.getByText('Food bank · Routine urgency · Weekly groceries').waitFor();
    await card.getByText('For need: Not enough food at home').waitFor();
    await card.getByText('For goal: Three meals a day').waitFor();
    const appointment = addDays(today, 3);
    // Each step replaces the card's actions; the status line (a live region) says what changed.
    await useForm(a.page, card, `Mark sent: referral to ${food[0][0]}`, [['Date sent', today]], 'Mark sent');
    await card.getByRole('status').filter({ hasText: `Status: Sent · sent ${shown(today)}` }).waitFor();
    await useForm(a.page, card, `Mark scheduled: referral to ${food[0][0]}`, [['Appointment date', appointment]], 'Save appointment');
    await card.getByRole('status').filter({ hasText: `Status: Scheduled · sent ${shown(today)} · appointment ${shown(appointment)}` }).waitFor();
    // Closing the loop asks for the outcome.
    await card.getByRole('button', { name: `Record outcome: referral to ${food[0][0]}` }).click();
    await a.page.getByRole('button', { name: 'Close referral' }).click();
    await a.page.getByRole('alert').filter({ hasText: 'closing the loop needs the outcome' }).waitFor();
    await a.page.getByRole('textbox', { name: /^Outcome/ }).fill('Enrolled; weekly box delivered');
    await a.page.getByRole('button', { name: 'Close referral' }).click();
    await card.getByRole('status').filter({ hasText: /^Status: Completed/ }).waitFor();
    const history = card.getByRole('list', { name: `Status history of the referral to ${food[0][0]}` });
    assert.deepEqual(await history.getByRole('listitem').allInnerTexts(), [
      `${shown(today)}: Sent by ${TEST_PERSON.name}`,
      `${shown(today)}: Scheduled by ${TEST_PERSON.name}`,
      `${shown(today)}: Completed by ${TEST_PERSON.name}`,
    ]);
    await section(a.page, 'Care plan');
    await a.page.getByRole('list', { name: 'Referrals for this need' })
      .getByText(`Referral to ${food[0][0]}: Completed. Outcome: Enrolled; weekly box delivered`).waitFor();
    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      await a.page.setViewportSize(viewport);
      await openChart(a.page, 'Diaz, Rosa', 'Referrals & insurance');
      await inspect(a.page, size, 'referrals', problems);
      await go(a.page, 'Resources');
      await a.page.getByRole('heading', { level: 2, name: ride }).waitFor();
      await inspect(a.page, size, 'resources', problems);
    }
    await a.page.setViewportSize(VIEWPORTS.tablet);

    // The second device: the directory arrives with sync, and the referral once Ben is on Rosa's
    // care team (each device holds only its people's patients).
    await openChart(a.page, 'Diaz, Rosa', 'Contacts & care team');
    await addToCareTeam(a.page, 'Ben Ortiz');
    await upToDate(a.page);
    await upToDate(b.page);
    await go(b.page, 'Resources');
    for (const r of kept) await b.page.getByRole('heading', { level: 2, name: r[0], exact: true }).waitFor();
    assert.equal(await b.page.getByRole('heading', { level: 2, name: gone }).count(), 0, 'the removal travelled too');
    await b.page.getByRole('listitem').filter({ has: b.page.getByRole('heading', { name: ride }) }).getByText('Mon-Sat 6-22').waitFor();
    await openChart(b.page, 'Diaz, Rosa', 'Referrals & insurance');
    const seen = referralCard(b.page, food[0][0]);
    await seen.getByText('Outcome: Enrolled; weekly box delivered').waitFor();
    await seen.getByRole('status').filter({ hasText: /^Status: Completed/ }).waitFor();
    assert.deepEqual(problems, []);
    assert.deepEqual([...unexpectedErrors(a), ...unexpectedErrors(b)], []);
  } finally {
    await a.context.close();
    await b.context.close();
  }
});

test('an authorization denied, appealed with a medical-necessity statement; Today shows the deadline', async () => {
  const { context, page, errors } = await newPatientChart(browser, relay, 'Walter', 'Kim');
  const problems = [];
  try {
    const today = await localToday(page);
    const deniedOn = addDays(today, -5);
    const windowDays = 30;
    const deadline = addDays(deniedOn, windowDays);
    const daysLeft = windowDays - 5;

    await section(page, 'Referrals & insurance');
    await useForm(page, page, 'Add insurance',
      [['Payer', 'Acme Health'], ['Plan', 'Medicare Advantage'], ['Member id', 'AC123'], ['Appeal window (days)', String(windowDays)]],
      'Save insurance', 'Insurance added.');
    await page.getByRole('list', { name: 'Insurance plans' }).getByText(`Primary: Acme Health · Medicare Advantage · member AC123 · appeals within ${windowDays} days`).waitFor();
    // The payer comes from the primary plan.
    await page.getByRole('button', { name: 'Request authorization' }).click();
    assert.equal(await page.getByLabel('Payer').inputValue(), 'Acme Health');
    await page.getByLabel('Service').fill('Home health visits');
    await page.getByLabel('Units or visits requested').fill('12');
    await page.getByRole('button', { name: 'Save request' }).click();
    await page.getByRole('status').filter({ hasText: 'Authorization request saved.' }).waitFor();

    const what = 'Home health visits (Acme Health)';
    const card = page.getByRole('article').filter({ has: page.getByRole('heading', { name: 'Home health visits — Acme Health' }) });
    await useForm(page, card, `Record decision: ${what}`,
      [['Decision', 'Denied'], ['Decided on', deniedOn], ['Reason for denial', 'Not medically necessary']],
      'Save decision');
    await card.getByRole('status').filter({ hasText: /^Status: Denied/ }).waitFor();
    await card.getByText(`Appeal by ${shown(deadline)} (${daysLeft} days left; ${windowDays}-day window)`).waitFor();

    // A routine referral sent 20 days ago and never scheduled (due after 14 days).
    const sentOn = addDays(today, -20);
    await useForm(page, page, 'Refer', [['Referred to', 'Dr. Patel, cardiology'], ['Reason', 'Palpitations']], 'Save referral', 'Referral saved as a draft.');
    await useForm(page, referralCard(page, 'Dr. Patel, cardiology'), 'Mark sent: referral to Dr. Patel, cardiology', [['Date sent', sentOn]], 'Mark sent');
    await referralCard(page, 'Dr. Patel, cardiology').getByRole('status').filter({ hasText: `sent ${shown(sentOn)}` }).waitFor();

    await go(page, 'Today');
    const todayCard = page.getByRole('list', { name: 'Referrals and authorizations' });
    await todayCard.getByText(`Appeal to Acme Health due ${shown(deadline)} (${daysLeft} days left)`).waitFor();
    await todayCard.getByText('Referral to Dr. Patel, cardiology: not scheduled 20 days after sending').waitFor();
    for (const [size, viewport] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(viewport);
      await inspect(page, size, 'today-coordination', problems);
    }
    await page.setViewportSize(VIEWPORTS.tablet);

    await todayCard.getByRole('link', { name: /Kim, Walter/ }).click();
    await page.locator('.chart-nav a[aria-current="page"]', { hasText: 'Referrals & insurance' }).waitFor({ state: 'attached' });
    const statement = 'Walter cannot leave home without help after his stroke; skilled nursing is needed for wound care.';
    await useForm(page, card, `Appeal: ${what}`,
      [['Medical-necessity statement', statement], ['Alternative plan', 'Family dressing changes taught meanwhile']],
      'Save appeal');
    await card.getByRole('status').filter({ hasText: /^Status: Appealed/ }).waitFor();
    await card.getByText(statement).waitFor();
    await card.getByText('Alternative plan: Family dressing changes taught meanwhile').waitFor();
    assert.equal(await card.getByText(/^Appeal by/).count(), 0, 'an appealed denial has no appeal deadline left');

    await go(page, 'Today');
    await todayCard.getByText('Referral to Dr. Patel, cardiology: not scheduled').waitFor();
    assert.equal(await todayCard.getByText(/^Appeal to/).count(), 0, 'an appealed denial leaves Today');

    // The appeal's outcome: approved with units, then units used.
    await go(page, 'Caseload');
    await openChart(page, 'Kim, Walter', 'Referrals & insurance');
    await useForm(page, card, `Record appeal decision: ${what}`,
      [['Decision', 'Appeal approved'], ['Units or visits approved', '10']], 'Save decision');
    await card.getByRole('status').filter({ hasText: /^Status: Appeal approved/ }).waitFor();
    await useForm(page, card, `Record units used: ${what}`, [['Units used', '3']], 'Save');
    await card.getByText('Units: 12 requested, 10 approved, 3 used, 7 left').waitFor();
    const history = await card.getByRole('list', { name: `Status history of ${what}` }).getByRole('listitem').allInnerTexts();
    assert.deepEqual(history, [
      `${shown(deniedOn)}: Denied by ${TEST_PERSON.name}`,
      `${shown(today)}: Appealed by ${TEST_PERSON.name}`,
      `${shown(today)}: Appeal approved by ${TEST_PERSON.name}`,
    ]);

    await useForm(page, page, 'Add advocacy note',
      [['What', 'Asked the pharmacy to waive a copay'], ['With whom', 'Main St Pharmacy'], ['Outcome', 'Copay waived']],
      'Save note', 'Advocacy note saved.');
    await page.getByRole('list', { name: 'Advocacy notes' })
      .getByText(`${shown(today)} · Asked the pharmacy to waive a copay · Main St Pharmacy · Outcome: Copay waived`).waitFor();
    assert.deepEqual(problems, []);
    assert.deepEqual(errors, []);
  } finally {
    await context.close();
  }
});
