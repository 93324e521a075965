// Education, the medication schedule and the patient's handout (issue 17): teaching recorded with a
// teach-back that needs review becomes a follow-up suggestion, then a follow-up; topics suggested
// from the problem list; three medications with structured times land in the right columns of the
// day grid; "Print for patient" prints (page.pdf) a handout whose text (pdftotext) holds the goals,
// each medication with its dose and time, the follow-up date and the care manager's name, and none
// of the app's navigation — in Spanish for a patient whose preferred language is Spanish; phone and
// tablet sizes; axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWPORTS, chartSection, newPatientChart, withRelayAndBrowser } from '../harness.mjs';
import { addDays, inspect, localToday, parseDay, printedText, TEST_PERSON, useForm } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

/** The schedule table as { "Name dose …": [column headers ticked] }, read from the page. */
async function grid(table) {
  return table.evaluate((t) => {
    const headers = [...t.querySelectorAll('thead th')].map((th) => th.textContent.trim());
    const out = {};
    for (const row of t.querySelectorAll('tbody tr')) {
      const name = row.querySelector('th .med-name').textContent.trim();
      out[name] = [...row.querySelectorAll('td')]
        .map((td, i) => (td.classList.contains('take') ? headers[i + 1] : null))
        .filter(Boolean);
    }
    return out;
  });
}

const ES_MONTHS = ['ene', 'feb', 'mar', 'abr', 'may', 'jun', 'jul', 'ago', 'sep', 'oct', 'nov', 'dic'];
const ES_DAYS = ['dom', 'lun', 'mar', 'mié', 'jue', 'vie', 'sáb'];
const EN_MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const EN_DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const handoutDate = (day, es) => {
  const d = parseDay(day);
  const [days, months] = es ? [ES_DAYS, ES_MONTHS] : [EN_DAYS, EN_MONTHS];
  return `${days[d.getUTCDay()]} ${d.getUTCDate()} ${months[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
};

test('teaching, a review follow-up, structured medication times, the day grid and the printed handout in English and Spanish', async () => {
  const { context, page, errors } = await newPatientChart(browser, relay, 'Carmen', 'Reyes');
  const problems = [];
  const today = await localToday(page);
  const reviewOn = addDays(today, 7);
  const section = (name) => chartSection(page, name);

  // A problem, three medications, and when each is taken.
  await section('Conditions & medications');
  await useForm(page, page, 'Add condition', [['Condition', 'Heart failure'], ['ICD-10 code (optional)', 'I50.9']], 'Save condition', 'Condition added.');
  const meds = [
    ['Metformin', '500 mg', 'diabetes', ['Morning', 'Evening'], 'With food'],
    ['Lisinopril', '10 mg', 'blood pressure', ['Morning'], 'Not said'],
    ['Atorvastatin', '20 mg', 'cholesterol', ['Bedtime'], 'Not said'],
  ];
  for (const [name, dose, purpose] of meds) {
    await useForm(page, page, 'Add medication', [['Medication', name], ['Dose', dose], ['How often', 'daily'], ['What it is for', purpose]], 'Save medication', 'Medication added.');
  }
  const current = page.getByRole('list', { name: 'Current medications' });
  await page.getByRole('region', { name: 'Daily medication schedule' }).getByText('No medication has times set yet.', { exact: false }).waitFor();
  for (const [name, , , times, food] of meds) {
    await current.getByRole('button', { name: `Set times for ${name}` }).click();
    const form = page.getByRole('form', { name: `Set times for ${name}` });
    for (const t of times) await form.getByLabel(t, { exact: true }).check();
    await form.getByLabel('Food').selectOption({ label: food });
    await form.getByRole('button', { name: 'Save times' }).click();
    await form.waitFor({ state: 'detached' });
  }
  await current.getByText('Metformin 500 mg Morning, Evening · with food').waitFor();
  const table = page.getByRole('table', { name: 'My medicines' });
  const expected = Object.fromEntries(meds.map(([name, dose, , times]) => [`${name} ${dose}`, times]));
  assert.deepEqual(await grid(table), expected, 'each medication in its columns');
  await inspect(page, 'tablet', 'medication-schedule', problems);
  // Printing the chart prints the section, not the app.
  const chartPrint = await printedText(page);
  for (const want of ['Reyes, Carmen', 'Heart failure', 'Metformin 500 mg', 'Daily medication schedule']) {
    assert.ok(chartPrint.includes(want), `the printed chart says "${want}": ${chartPrint}`);
  }
  for (const chrome of ['Caseload', 'Settings', 'Hospital & transitions', 'Print for patient', 'Add medication', 'Set times', 'Edit']) {
    assert.ok(!chartPrint.includes(chrome), `the printed chart has no "${chrome}"`);
  }

  // Education: a suggested topic, then a teaching that needs review → a follow-up.
  await section('Education');
  const suggested = page.getByRole('list', { name: 'Suggested topics' });
  await suggested.getByText('Daily weights', { exact: true }).waitFor();
  await useForm(page, suggested, 'Record teaching: Daily weights',
    [['How it was taught', 'Shown (demonstration)'], ['Materials given (optional)', 'Weight log sheet'], ['Teach-back', 'Understood']],
    'Save teaching');
  // Understood: it moves from the suggestions to what was taught.
  await page.getByRole('list', { name: 'Teaching recorded' }).getByText(/Daily weights — .* Teach-back: Understood · Materials: Weight log sheet/).waitFor();
  assert.equal(await suggested.getByText('Daily weights', { exact: true }).count(), 0, 'understood: no longer suggested');
  await useForm(page, page, 'Record teaching',
    [['Topic', 'Inhaler technique'], ['Kind', 'Self-management skill'], ['Teach-back', 'Needs review']],
    'Save teaching', 'Teaching recorded.');
  await page.getByRole('list', { name: 'Teaching recorded' }).getByText(/Inhaler technique — .* Teach-back: Needs review/).waitFor();
  const review = page.getByRole('list', { name: 'Teaching to review' });
  await review.getByText('Inhaler technique', { exact: true }).waitFor();
  await inspect(page, 'tablet', 'education', problems);
  await useForm(page, review, 'Schedule review: Inhaler technique', [['Review on', reviewOn]], 'Schedule');
  await page.getByRole('region', { name: 'Teaching to review' }).waitFor({ state: 'hidden' });
  await section('Follow-ups');
  await page.getByRole('list', { name: 'Scheduled follow-ups' }).getByText('Call: Review teaching: Inhaler technique').waitFor();

  // A goal with a step for the handout.
  await section('Care plan');
  await useForm(page, page, 'Add need', [['Need', 'Fluid balance']], 'Save need', 'Need added.');
  const need = page.getByRole('region', { name: 'Need: Fluid balance' });
  await useForm(page, need, 'Add goal for Fluid balance', [['Goal', 'Stay out of hospital']], 'Save goal', 'Goal added.');
  const goal = need.getByRole('article', { name: 'Goal: Stay out of hospital' });
  await useForm(page, goal, 'Add action for Stay out of hospital', [['Action', 'Weigh myself every morning'], ['Who', 'Patient']], 'Save action', 'Action added.');

  // Print for patient: the handout, then its printed text.
  await page.getByRole('link', { name: 'Print for patient' }).click();
  await page.getByRole('heading', { level: 1, name: 'My care plan: Carmen Reyes' }).waitFor();
  await inspect(page, 'tablet', 'handout', problems);
  const text = await printedText(page);
  for (const want of [
    'My care plan: Carmen Reyes', 'Stay out of hospital', 'I will Weigh myself every morning',
    'Metformin 500 mg', 'Lisinopril 10 mg', 'Atorvastatin 20 mg', 'Morning', 'Evening', 'Bedtime', 'with food',
    handoutDate(reviewOn, false), 'Review teaching: Inhaler technique', TEST_PERSON.name, 'No allergies known',
  ]) {
    assert.ok(text.includes(want), `the printed handout says "${want}": ${text}`);
  }
  for (const chrome of ['Caseload', 'Settings', 'Lock', 'Print for patient', 'Back to the chart', 'Chart sections', 'Sync']) {
    assert.ok(!text.includes(chrome), `the printed handout has no "${chrome}"`);
  }

  // In Spanish for a patient whose preferred language is Spanish; what was written stays as written.
  await page.getByRole('link', { name: '← Back to the chart' }).click();
  await page.getByRole('heading', { level: 1, name: 'Reyes, Carmen' }).waitFor();
  await section('Overview');
  await useForm(page, page, 'Edit demographics', [['Preferred language', 'Spanish']], 'Save demographics', 'Demographics saved.');
  await page.getByRole('link', { name: 'Print for patient' }).click();
  await page.getByRole('heading', { level: 1, name: 'Mi plan de cuidado: Carmen Reyes' }).waitFor();
  const es = await printedText(page);
  for (const want of [
    'Mis metas', 'Yo voy a Weigh myself every morning', 'Mis medicamentos', 'Mañana', 'Tarde', 'Al acostarse',
    'con comida', 'Mis citas y llamadas', handoutDate(reviewOn, true), 'A quién llamar', TEST_PERSON.name, 'Mis alergias',
  ]) {
    assert.ok(es.includes(want), `the Spanish handout says "${want}": ${es}`);
  }
  assert.ok(!es.includes('My goals'), 'no English headings in the Spanish handout');

  // Phone size: the handout and the screens pass the same checks.
  await page.setViewportSize(VIEWPORTS.phone);
  await inspect(page, 'phone', 'handout-es', problems);
  await page.getByRole('link', { name: '← Back to the chart' }).click();
  await page.getByRole('heading', { level: 1, name: 'Reyes, Carmen' }).waitFor();
  await section('Conditions & medications');
  await table.waitFor();
  await inspect(page, 'phone', 'medication-schedule', problems);
  await section('Education');
  await page.getByRole('list', { name: 'Teaching recorded' }).waitFor();
  await inspect(page, 'phone', 'education', problems);

  assert.deepEqual(problems, []);
  assert.deepEqual(errors, []);
  await context.close();
});
