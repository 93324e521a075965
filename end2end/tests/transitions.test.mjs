// Transitions of care (issue 14): an ED visit and an admission recorded, the patient shown in
// hospital on Today and in the caseload, a discharge home yesterday, the TCM timeline with dates
// computed here (an independent business-day calculation with the federal holidays), LACE from the
// record, contact attempts, Today listing the visit, medication reconciliation (one stopped, one
// changed, one new) leaving the medication list as reconciled — all kept after a reload; phone and
// tablet sizes; axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWPORTS, chartSection, newPatientChart, passLock, withRelayAndBrowser } from '../harness.mjs';
import { addDays, inspect, isoDay, localToday, parseDay, shown, useForm, weekday } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

// ---- Dates, computed here and not by the app ------------------------------------------------

const parse = parseDay;
const iso = isoDay;

/** The nth (1-based) given weekday of a month, or the last one (n = -1). */
function nthWeekday(year, month, dow, n) {
  if (n > 0) {
    const first = new Date(Date.UTC(year, month, 1)).getUTCDay();
    return Date.UTC(year, month, 1 + ((dow - first + 7) % 7) + 7 * (n - 1));
  }
  const lastDay = new Date(Date.UTC(year, month + 1, 0));
  return Date.UTC(year, month, lastDay.getUTCDate() - ((lastDay.getUTCDay() - dow + 7) % 7));
}

/** Observed US federal holidays (5 U.S.C. 6103): Saturday → Friday, Sunday → Monday. */
function federalHolidays(year) {
  const fixed = [[0, 1], [5, 19], [6, 4], [10, 11], [11, 25]].map(([m, d]) => Date.UTC(year, m, d));
  const floating = [
    nthWeekday(year, 0, 1, 3), nthWeekday(year, 1, 1, 3), nthWeekday(year, 4, 1, -1),
    nthWeekday(year, 8, 1, 1), nthWeekday(year, 9, 1, 2), nthWeekday(year, 10, 4, 4),
  ];
  const observed = fixed.map((t) => {
    const dow = new Date(t).getUTCDay();
    return dow === 6 ? t - 86400000 : dow === 0 ? t + 86400000 : t;
  });
  return [...observed, ...floating].map((t) => iso(new Date(t)));
}

function addBusinessDays(isoDay, n) {
  const year = parse(isoDay).getUTCFullYear();
  const holidays = new Set([year - 1, year, year + 1].flatMap(federalHolidays));
  let day = isoDay;
  while (n > 0) {
    day = addDays(day, 1);
    const dow = parse(day).getUTCDay();
    if (dow !== 0 && dow !== 6 && !holidays.has(day)) n -= 1;
  }
  return day;
}

const daysBetween = (a, b) => Math.round((parse(b) - parse(a)) / 86400000);

// LACE (van Walraven 2010), for the expected score.
const losPoints = (days) => (days < 1 ? 0 : days < 4 ? days : days < 7 ? 4 : days < 14 ? 5 : 7);
const charlsonPoints = (c) => (c >= 4 ? 5 : c);
const edPoints = (n) => Math.min(n, 4);

// ---- The test --------------------------------------------------------------------------------

test('admission, discharge yesterday, the TCM timeline, contact attempts, Today and medication reconciliation', async () => {
  const { context, page, errors } = await newPatientChart(browser, relay, 'Otto', 'Hale');
  const problems = [];
  const today = await localToday(page);
  const yesterday = addDays(today, -1);
  const admitted = addDays(today, -5);
  const edVisit = addDays(admitted, -60);
  const section = async (name) => {
    await chartSection(page, name);
  };

  // The record before the stay: two Charlson conditions and three medications.
  await section('Conditions & medications');
  for (const [name, code] of [['Heart failure', 'I50.9'], ['COPD', 'J44.9']]) {
    await useForm(page, page, 'Add condition', [['Condition', name], ['ICD-10 code (optional)', code]], 'Save condition', 'Condition added.');
  }
  for (const [name, dose] of [['Furosemide', '20 mg'], ['Metoprolol tartrate', '25 mg'], ['Lisinopril', '10 mg']]) {
    await useForm(page, page, 'Add medication', [['Medication', name], ['Dose', dose], ['How often', 'daily']], 'Save medication', 'Medication added.');
  }

  // An ED visit two months before, then the admission.
  await section('Hospital & transitions');
  await page.getByText('No hospital stays or ED visits recorded.').waitFor();
  assert.equal(await page.getByRole('form').count(), 0, 'forms open on demand');
  await useForm(page, page, 'Record admission or ED visit',
    [['Hospital or facility', 'Mercy Hospital'], ['Admitted on', edVisit], ['Type of stay', 'ED visit (not admitted)'], ['Reason or diagnosis', 'Shortness of breath']],
    'Save', 'Stay recorded.');
  await useForm(page, page, 'Record admission or ED visit',
    [['Hospital or facility', 'Springfield General'], ['Admitted on', admitted], ['Type of stay', 'Inpatient stay'], ['Reason or diagnosis', 'Heart failure exacerbation']],
    'Save', 'Stay recorded.');
  const stay = page.getByRole('region', { name: 'Springfield General — Inpatient stay' });
  await stay.getByText(`In hospital since ${shown(admitted)}`).waitFor();
  await page.getByRole('list', { name: 'Flags and programs' }).getByText(`In hospital since ${shown(admitted)}`).waitFor();
  await page.getByRole('list', { name: 'Earlier stays and ED visits' }).getByText(`ED visit on ${shown(edVisit)}`).waitFor();
  await inspect(page, 'tablet', 'transitions-in-hospital', problems);

  // Today and the caseload show the patient in hospital.
  await page.getByRole('link', { name: 'Today', exact: true }).click();
  const tcmToday = page.getByRole('list', { name: 'Transitions of care' });
  await tcmToday.getByRole('link', { name: /Hale, Otto/ }).getByText('In hospital').waitFor();
  await page.getByRole('link', { name: 'Caseload', exact: true }).click();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: /Hale, Otto/ }).getByText(/In hospital/).waitFor();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: /Hale, Otto/ }).click();
  await section('Hospital & transitions');

  // A discharge before the admission is refused with a reason; yesterday, home, is saved.
  await stay.getByRole('button', { name: 'Record discharge' }).click();
  const dischargeForm = page.getByRole('form', { name: 'Discharge from Springfield General' });
  await dischargeForm.getByLabel('Discharged on').fill(addDays(admitted, -1));
  await dischargeForm.getByLabel('Went to').selectOption({ label: 'Home' });
  await dischargeForm.getByRole('button', { name: 'Save discharge' }).click();
  await page.getByRole('alert').filter({ hasText: 'cannot be before the admission' }).waitFor();
  await dischargeForm.getByLabel('Discharged on').fill(yesterday);
  await dischargeForm.getByLabel('Discharge summary received').check();
  await dischargeForm.getByLabel('Medical decision making').selectOption({ label: 'High — visit within 7 days (99496)' });
  await dischargeForm.getByRole('button', { name: 'Save discharge' }).click();
  await dischargeForm.waitFor({ state: 'detached' });
  await stay.getByText(`Discharged ${shown(yesterday)} to home`).waitFor();
  assert.equal(await stay.getByText(/In hospital since/).count(), 0, 'no longer in hospital');

  // The timeline, every date computed here.
  const contactDue = addBusinessDays(yesterday, 2);
  const visitDue = addDays(yesterday, 7);
  const periodEnd = addDays(yesterday, 29);
  const timeline = stay.getByRole('list', { name: 'Transitional care timeline' });
  const step = (name) => timeline.getByRole('listitem').filter({ hasText: name });
  const left = (due) => { const n = daysBetween(today, due); return n === 1 ? '1 day left' : `${n} days left`; };
  await step('Discharged').getByText(weekday(yesterday)).waitFor();
  await step('Interactive contact').getByText(`Due by ${weekday(contactDue)} — ${left(contactDue)}`).waitFor();
  await step('Face-to-face visit').getByText(`Due by ${weekday(visitDue)} — ${left(visitDue)}`).waitFor();
  await step('Medication reconciliation').getByText(`Due by ${weekday(visitDue)}`).waitFor();
  await step('30-day service period ends').getByText(weekday(periodEnd)).waitFor();
  await stay.getByText('Not yet: the steps still open must be done by their dates').waitFor();

  // LACE from the record: the stay's length, emergent, Charlson 2, one ED visit in 6 months.
  const lace = losPoints(daysBetween(admitted, yesterday)) + 3 + charlsonPoints(2) + edPoints(1);
  const band = lace >= 10 ? 'high' : lace >= 5 ? 'moderate' : 'low';
  await stay.getByRole('heading', { name: `LACE ${lace} — ${band} risk of readmission` }).waitFor();
  const laceParts = stay.getByRole('list', { name: 'LACE parts' });
  await laceParts.getByText('ED visits in the 6 months before: 1 point').waitFor();
  await laceParts.getByText('From the record: Charlson index 2: Congestive heart failure; Chronic pulmonary disease').waitFor();

  // Contact: one unsuccessful attempt, then the patient is reached.
  await useForm(page, stay, 'Log contact attempt', [['Date', today], ['How', 'Phone'], ['Outcome', 'No answer']], 'Save attempt', 'Contact attempt logged.');
  await stay.getByRole('list', { name: 'Contact attempts' }).getByText(`${shown(today)} · Phone · No answer`).waitFor();
  await step('Interactive contact').getByText(`Due by ${weekday(contactDue)}`).waitFor();
  await useForm(page, stay, 'Log contact attempt', [['Date', today], ['How', 'Phone'], ['Outcome', 'Reached the patient or caregiver']], 'Save attempt', 'Contact attempt logged.');
  await step('Interactive contact').getByText(`Done ${weekday(today)}`).waitFor();
  await inspect(page, 'tablet', 'transitions-timeline', problems);

  // Today lists the visit ahead of ordinary work, and the worklist says why.
  await page.getByRole('link', { name: 'Today', exact: true }).click();
  await tcmToday.getByRole('link', { name: /Hale, Otto/ }).getByText(`Face-to-face visit — due by ${weekday(visitDue)}`).waitFor();
  if (lace >= 10) {
    await page.getByRole('list', { name: 'Worklist' }).getByText(`LACE readmission score ${lace}`, { exact: false }).waitFor();
  }
  await inspect(page, 'tablet', 'today-transitions', problems);
  await tcmToday.getByRole('link', { name: /Hale, Otto/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Hale, Otto' }).waitFor();

  // The discharge list: one changed dose, one the same, one new.
  for (const [name, dose] of [['Furosemide', '40 mg'], ['Lisinopril', '10 mg'], ['Metoprolol succinate', '50 mg']]) {
    await useForm(page, stay, 'Add discharge medication', [['Medication', name], ['Dose', dose], ['How often', 'daily']], 'Add to discharge list', 'Added to the discharge list.');
  }
  await stay.getByRole('list', { name: 'Discharge medications' }).getByText('Metoprolol succinate 50 mg daily').waitFor();

  // Reconcile: the lists side by side, discrepancies flagged, a decision each.
  await stay.getByRole('link', { name: 'Reconcile medications' }).click();
  await page.getByRole('heading', { level: 2, name: 'Reconcile medications' }).waitFor();
  const line = (name) => page.getByRole('group', { name, exact: true });
  await line('Furosemide').getByText('Dose differs: 20 mg before, 40 mg at discharge').waitFor();
  await line('Metoprolol tartrate').getByText('Not on the discharge list').waitFor();
  await line('Metoprolol tartrate').getByText('Possible duplicate of Metoprolol succinate').waitFor();
  await line('Metoprolol succinate').getByText('New at discharge').waitFor();
  assert.equal(await line('Lisinopril').getByRole('list').count(), 0, 'nothing differs for lisinopril');
  assert.equal(await line('Furosemide').getByLabel('New dose').inputValue(), '40 mg', 'the discharge dose is proposed');
  await inspect(page, 'tablet', 'reconcile', problems);
  await page.getByRole('button', { name: 'Finish reconciliation' }).click();
  await page.getByRole('alert').filter({ hasText: 'Choose continue, change or stop for Metoprolol tartrate.' }).waitFor();
  await line('Metoprolol tartrate').getByLabel('Stop').check();
  await line('Metoprolol tartrate').getByLabel('Why').fill('Replaced by metoprolol succinate');
  await page.getByRole('button', { name: 'Finish reconciliation' }).click();
  await page.getByRole('status').filter({ hasText: 'Medications reconciled.' }).waitFor();

  const checkReconciled = async () => {
    await section('Conditions & medications');
    const current = page.getByRole('list', { name: 'Current medications' });
    for (const text of ['Furosemide 40 mg daily', 'Lisinopril 10 mg daily', 'Metoprolol succinate 50 mg daily']) {
      await current.getByText(text).waitFor();
    }
    assert.equal(await current.getByText('Metoprolol tartrate').count(), 0, 'the stopped one left the current list');
    await page.getByRole('list', { name: 'Stopped medications' }).getByText(`Stopped since ${shown(today)}: Replaced by metoprolol succinate`).waitFor();
    await section('Hospital & transitions');
    await step('Medication reconciliation').getByText(`Done ${weekday(today)}`).waitFor();
    await stay.getByText(`Medications reconciled ${shown(today)} by Ana López`).waitFor();
    await step('Interactive contact').getByText(`Done ${weekday(today)}`).waitFor();
  };
  await checkReconciled();

  // After a reload, all of it is still so.
  await page.reload();
  await passLock(page);
  await page.getByRole('heading', { level: 1, name: 'Hale, Otto' }).waitFor();
  await checkReconciled();

  // On a phone the same screens pass the same checks.
  await page.setViewportSize(VIEWPORTS.phone);
  await inspect(page, 'phone', 'transitions-timeline', problems);
  await stay.getByRole('button', { name: 'Log contact attempt' }).click();
  await inspect(page, 'phone', 'transitions-attempt-form', problems);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await stay.getByRole('link', { name: 'Reconcile medications' }).click();
  await page.getByRole('heading', { level: 2, name: 'Reconcile medications' }).waitFor();
  await inspect(page, 'phone', 'reconcile', problems);
  await page.getByRole('link', { name: 'Today', exact: true }).click();
  await tcmToday.waitFor();
  await inspect(page, 'phone', 'today-transitions', problems);

  assert.deepEqual(problems, []);
  assert.deepEqual(errors, []);
  await context.close();
});
