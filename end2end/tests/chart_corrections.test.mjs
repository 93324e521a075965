// A chart a care manager can keep true (issue 13): who I am on first run; conditions, medications and
// allergies read first with their add forms on demand; a typo corrected, a dose changed, a medication
// stopped with a reason, a condition resolved, an allergy updated and another removed as entered in
// error — all still so after a reload, the removed one under "Show removed" with who, when and why.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWPORTS, chartSection, openNewPatient, passLock, waitFor, withRelayAndBrowser } from '../harness.mjs';
import { inspect, localToday, sayWhoIAm, shown, useForm } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

async function openMedical(page) {
  await chartSection(page, 'Conditions & medications');
  await page.getByRole('heading', { level: 2, name: 'Medications' }).waitFor();
}

const meds = (page) => page.getByRole('list', { name: 'Current medications' });
const stopped = (page) => page.getByRole('list', { name: 'Stopped medications' });
const conditions = (page) => page.getByRole('list', { name: 'Conditions' });
const allergies = (page) => page.getByRole('list', { name: 'Allergies' });

test('who I am, then correct, stop, resolve, update and remove chart entries; all kept after a reload', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.tablet });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const problems = [];
  await page.goto(`${relay.url}/caseload`);

  // First run: the PIN, then who is using the device (an empty name is refused with a reason).
  await page.getByRole('heading', { name: 'Protect patient data on this device' }).waitFor();
  await page.getByLabel('New PIN', { exact: true }).fill('482915');
  await page.getByLabel('Repeat new PIN', { exact: true }).fill('482915');
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await page.getByRole('heading', { name: 'Who is using this device?' }).waitFor({ timeout: 30000 });
  await inspect(page, 'tablet', 'who-am-i', problems);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('alert').filter({ hasText: 'Enter your name' }).waitFor();
  const me = 'Bea Okafor';
  await page.getByLabel('Your name').fill(`  ${me} `);
  await page.getByLabel('Your role').selectOption({ label: 'Social worker' });
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Lock', exact: true }).waitFor({ timeout: 30000 });

  await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
  await openNewPatient(page);
  await page.getByLabel('Given name').fill('Rosa');
  await page.getByLabel('Family name').fill('Diaz');
  await page.getByRole('button', { name: 'Add patient' }).click();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: /Diaz, Rosa/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Diaz, Rosa' }).waitFor();
  await openMedical(page);

  // Content first: no form is open until asked for.
  assert.equal(await page.getByRole('form').count(), 0, 'no form open before one is asked for');
  assert.equal(await page.getByLabel('Allergic to').count(), 0, 'the allergy form is on demand');

  // Add, then correct a typo and the dose.
  const addMed = (name, dose, often) => useForm(page, page, 'Add medication',
    [['Medication', name], ['Dose', dose], ['How often', often]], 'Save medication', 'Medication added.');
  await addMed('Metforman', '500 mg', 'twice daily');
  await addMed('Lisinopril', '10 mg', 'daily');
  await meds(page).getByText('Metforman 500 mg twice daily').waitFor();
  await inspect(page, 'tablet', 'medical-list', problems);
  await meds(page).getByRole('button', { name: 'Edit Metforman' }).click();
  assert.equal(await page.getByRole('form').getByLabel('Medication', { exact: true }).inputValue(), 'Metforman', 'the edit form starts from the record');
  assert.equal(await page.evaluate(() => document.activeElement?.closest('form') !== null), true, 'focus moved into the form');
  await inspect(page, 'tablet', 'medical-edit-form', problems);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await useForm(page, meds(page), 'Edit Metforman',
    [['Medication', 'Metformin'], ['Dose', '1000 mg'], ['What it is for', 'Type 2 diabetes']], 'Save changes', 'Medication updated.');
  await meds(page).getByText('Metformin 1000 mg twice daily').waitFor();
  await meds(page).getByText(/For Type 2 diabetes/).waitFor();

  // Stop with a date and a reason (a reason is required).
  const today = await localToday(page);
  await meds(page).getByRole('button', { name: 'Stop Lisinopril' }).click();
  await page.getByRole('form').getByRole('button', { name: 'Stop medication' }).click();
  await page.getByRole('alert').filter({ hasText: 'Say why it was stopped' }).waitFor();
  await page.getByRole('form').getByLabel('Reason').fill('Low blood pressure');
  await page.getByRole('form').getByRole('button', { name: 'Stop medication' }).click();
  await stopped(page).getByText(`Stopped since ${shown(today)}: Low blood pressure`).waitFor();
  assert.equal(await meds(page).getByText('Lisinopril').count(), 0, 'no longer among current medications');

  // Resolve a condition.
  await useForm(page, page, 'Add condition', [['Condition', 'Hypertension']], 'Save condition', 'Condition added.');
  await useForm(page, conditions(page), 'Resolve Hypertension', [], 'Mark resolved', null);
  await conditions(page).getByText(/^Resolved/).waitFor();

  // Update one allergy; remove another as entered in error.
  const addAllergy = (substance) => useForm(page, page, 'Add allergy', [['Allergic to', substance]], 'Save allergy', 'Allergy added.');
  await addAllergy('Penicillin');
  await addAllergy('Latex');
  const badges = page.getByRole('list', { name: 'Flags and programs' });
  await badges.getByText('Allergies: Penicillin, Latex').waitFor();
  await useForm(page, allergies(page), 'Update Penicillin', [['Reaction', 'Hives'], ['Severity', 'Severe']], 'Save changes', 'Allergy updated.');
  await allergies(page).getByText('Penicillin: Hives').waitFor();
  await allergies(page).getByText('Severe · Active').waitFor();
  await useForm(page, allergies(page), 'Remove Latex', [['Why', 'Entered in error'], ['Note', 'Recorded for the wrong patient']],
    'Remove from chart', null);
  await badges.getByText('Allergies: Penicillin', { exact: true }).waitFor();
  assert.equal(await allergies(page).getByText('Latex').count(), 0, 'removed from the working list');
  await page.getByRole('status').filter({ hasText: 'All changes saved on this device' }).first().waitFor();

  // A follow-up no longer needed is cancelled (kept under past follow-ups).
  await chartSection(page, 'Follow-ups');
  await useForm(page, page, 'Schedule follow-up', [['Follow-up date', today], ['Reason for follow-up', 'Check inhaler technique']],
    'Save follow-up', 'Follow-up scheduled.');
  const scheduled = page.getByRole('list', { name: 'Scheduled follow-ups' });
  await scheduled.getByText(/Check inhaler technique/).waitFor();
  await useForm(page, scheduled, 'Cancel follow-up: Check inhaler technique', [], 'Cancel it', null);
  await page.getByRole('list', { name: 'Past follow-ups' }).getByText(`Call ${shown(today)}: Check inhaler technique — Cancelled`).waitFor();
  assert.equal(await scheduled.getByText(/Check inhaler technique/).count(), 0, 'no longer scheduled');

  // A caregiver recorded on the wrong patient is removed, and listed as removed.
  await chartSection(page, 'Contacts & care team');
  await useForm(page, page, 'Add caregiver', [["Caregiver's name", 'Luis Diaz'], ['Relationship', 'Son']], 'Save caregiver', 'Caregiver added.');
  const caregivers = page.getByRole('list', { name: 'Caregivers' });
  await caregivers.getByText('Luis Diaz (Son)').waitFor();
  await useForm(page, caregivers, 'Remove Luis Diaz (Son)', [['Why', 'Entered in error']], 'Remove from chart', null);
  await page.getByText('No caregiver recorded.').waitFor();
  await page.getByRole('button', { name: 'Show removed caregivers (1)' }).click();
  await page.getByRole('list', { name: 'Removed caregivers' }).getByText(/^Entered in error — removed by Bea Okafor/).waitFor();
  await inspect(page, 'tablet', 'contacts-removed', problems);

  // Demographics: a misspelt name corrected, pronouns, interpreter and code status set — one form.
  await chartSection(page, 'Overview');
  await useForm(page, page, 'Edit demographics',
    [['Family name', 'Díaz'], ['Pronouns', 'she/her'], ['Preferred language', 'Spanish'], ['Code status', 'DNR']],
    'Save demographics', 'Demographics saved.');
  await page.getByRole('heading', { level: 1, name: 'Díaz, Rosa' }).waitFor();
  await page.getByRole('button', { name: 'History of demographics' }).click();
  await page.getByRole('list', { name: 'History of demographics' }).getByText(`Pronouns: she/her — set by ${me}`).waitFor();
  await inspect(page, 'tablet', 'overview-demographics', problems);

  // A reload (and the lock) later, everything is as corrected; the removed allergy is kept with who/when/why.
  await page.reload();
  await passLock(page);
  await page.getByRole('heading', { level: 1, name: 'Díaz, Rosa' }).waitFor();
  const demographics = page.getByRole('region', { name: 'Demographics' });
  for (const [fact, value] of [['Pronouns', 'she/her'], ['Code status', 'DNR'], ['Name', 'Díaz, Rosa']]) {
    assert.equal(await demographics.locator(`dt:text-is("${fact}") + dd`).innerText(), value, fact);
  }
  await openMedical(page);
  await meds(page).getByText('Metformin 1000 mg twice daily').waitFor();
  await stopped(page).getByText(`Stopped since ${shown(today)}: Low blood pressure`).waitFor();
  await conditions(page).getByText(/^Resolved/).waitFor();
  await allergies(page).getByText('Penicillin: Hives').waitFor();
  assert.equal(await allergies(page).getByText('Latex').count(), 0);
  await page.getByRole('button', { name: 'Show removed allergies (1)' }).click();
  const removed = page.getByRole('list', { name: 'Removed allergies' });
  await removed.getByText('Latex').waitFor();
  await removed.getByText(new RegExp(`^Entered in error — removed by ${me} on ${shown(today)} \\d\\d:\\d\\d: Recorded for the wrong patient$`)).waitFor();
  await inspect(page, 'tablet', 'medical-removed', problems);

  await chartSection(page, 'Follow-ups');
  await page.getByRole('list', { name: 'Past follow-ups' }).getByText(`Call ${shown(today)}: Check inhaler technique — Cancelled`).waitFor();
  await openMedical(page);

  // On a phone the same screen passes the same checks.
  await page.setViewportSize(VIEWPORTS.phone);
  await meds(page).getByRole('button', { name: 'Edit Metformin' }).click();
  await inspect(page, 'phone', 'medical-edit-form', problems);
  await page.getByRole('button', { name: 'Cancel' }).click();

  // Settings → You: a new name signs later changes.
  await page.setViewportSize(VIEWPORTS.tablet);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  const you = page.getByRole('region', { name: 'You' });
  assert.equal(await you.getByLabel('Your name').inputValue(), me);
  await you.getByLabel('Your name').fill('Bea M. Okafor');
  await you.getByRole('button', { name: 'Save name and role' }).click();
  await you.getByRole('status').filter({ hasText: 'signed Bea M. Okafor' }).waitFor();
  await inspect(page, 'tablet', 'settings-you', problems);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Caseload' }).click();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: /Díaz, Rosa/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Díaz, Rosa' }).waitFor();
  await openMedical(page);
  await useForm(page, stopped(page), 'Remove Lisinopril', [['Why', 'Duplicate']], 'Remove from chart', null);
  await page.getByRole('button', { name: 'Show removed medications (1)' }).click();
  await page.getByRole('list', { name: 'Removed medications' }).getByText(/^Duplicate — removed by Bea M\. Okafor on /).waitFor();

  assert.deepEqual(problems, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('care plan, contacts and visits read first; a need, goal, action, phone, provider, identifier and visit are corrected; all kept after a reload', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.tablet });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  const problems = [];
  const me = { name: 'Cam Reyes', role: 'Care manager' };
  // First run on a phone: the PIN, then who is using the device (checked at phone size).
  await page.setViewportSize(VIEWPORTS.phone);
  await page.goto(`${relay.url}/caseload`);
  await page.getByLabel('New PIN', { exact: true }).fill('482915');
  await page.getByLabel('Repeat new PIN', { exact: true }).fill('482915');
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await page.getByRole('heading', { name: 'Who is using this device?' }).waitFor({ timeout: 30000 });
  await inspect(page, 'phone', 'who-am-i', problems);
  await sayWhoIAm(page, me);
  await page.setViewportSize(VIEWPORTS.tablet);
  await openNewPatient(page);
  await page.getByLabel('Given name').fill('Ida');
  await page.getByLabel('Family name').fill('Moss');
  await page.getByRole('button', { name: 'Add patient' }).click();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: /Moss, Ida/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Moss, Ida' }).waitFor();
  const section = (name) => chartSection(page, name);
  const today = await localToday(page);
  // A date four weeks on, computed here from the date parts (not by the app).
  const [y, m, d] = today.split('-').map(Number);
  const later = new Date(Date.UTC(y, m - 1, d + 28)).toISOString().slice(0, 10);

  // Care plan: nothing open until asked for; then a need, a goal and an action, each corrected.
  await section('Care plan');
  await page.getByRole('heading', { level: 2, name: 'Needs, goals and actions' }).waitFor();
  assert.equal(await page.getByRole('form').count(), 0, 'the care plan reads first');
  await useForm(page, page, 'Add need', [['Need', 'Falls at hom']], 'Save need', 'Need added.');
  const need = page.getByRole('region', { name: 'Need: Falls at hom' });
  await useForm(page, need, 'Add goal for Falls at hom', [['Goal', 'No falls'], ['Target', '0 a month']], 'Save goal', 'Goal added.');
  const goal = need.getByRole('article', { name: 'Goal: No falls' });
  await useForm(page, goal, 'Add action for No falls', [['Action', 'Remove rugs'], ['Who', 'Family']], 'Save action', 'Action added.');
  await inspect(page, 'tablet', 'care-plan-read-first', problems);

  await useForm(page, need, 'Edit need Falls at hom', [['Need', 'Falls at home'], ['Need status', 'In progress']], 'Save changes', 'Need updated.');
  const fixedNeed = page.getByRole('region', { name: 'Need: Falls at home' });
  await fixedNeed.getByText('Status: In progress').waitFor();
  await fixedNeed.getByRole('button', { name: 'Edit goal No falls' }).click();
  assert.equal(await page.getByRole('form').getByLabel('Target', { exact: false }).inputValue(), '0 a month', 'the edit form starts from the record');
  await inspect(page, 'tablet', 'care-plan-edit-goal', problems);
  await page.getByRole('form').getByLabel('Goal', { exact: true }).fill('No falls at home');
  await page.getByRole('form').getByLabel('Goal due date').fill(later);
  await page.getByRole('form').getByLabel('Goal status').selectOption({ label: 'Achieved' });
  await page.getByRole('form').getByRole('button', { name: 'Save changes' }).click();
  const fixedGoal = fixedNeed.getByRole('article', { name: 'Goal: No falls at home' });
  await fixedGoal.getByText(`due ${shown(later)}`).waitFor();
  await fixedGoal.getByText(/Status: Achieved/).waitFor();
  const actions = fixedGoal.getByRole('list', { name: 'Actions for No falls at home' });
  await useForm(page, actions, 'Edit action Remove rugs', [['Action', 'Remove loose rugs'], ['Action status', 'Done']], 'Save changes', 'Action updated.');
  await actions.getByText('Remove loose rugs').waitFor();
  await actions.getByText(/Family · Done/).waitFor();
  await fixedGoal.getByRole('button', { name: 'History of goal No falls at home' }).click();
  const goalHistory = fixedGoal.getByRole('list', { name: 'History of goal No falls at home' });
  for (const line of [`Goal: No falls — set by ${me.name}`, `Goal: No falls at home — set by ${me.name}`, `Due: ${later} — set by ${me.name}`]) {
    await goalHistory.getByText(line).first().waitFor();
  }

  // A barrier recorded twice: the copy is removed as a duplicate, kept under "Show removed".
  for (let i = 0; i < 2; i++) {
    await useForm(page, page, 'Add barrier', [['Barrier', 'Stairs to the bathroom']], 'Save barrier', 'Barrier added.');
  }
  const barriers = page.getByRole('list', { name: 'Barriers', exact: true });
  await waitFor(async () => (await barriers.getByText('Stairs to the bathroom').count()) === 2, 'both barriers listed');
  await useForm(page, barriers.getByRole('listitem').last(), 'Remove Stairs to the bathroom', [['Why', 'Duplicate']], 'Remove from chart', null);
  await page.getByRole('button', { name: 'Show removed barriers (1)' }).click();
  await page.getByRole('list', { name: 'Removed barriers' }).getByText(new RegExp(`^Duplicate — removed by ${me.name}`)).waitFor();
  assert.equal(await barriers.getByText('Stairs to the bathroom').count(), 1);

  // Contacts: phone and provider corrected.
  await section('Contacts & care team');
  assert.equal(await page.getByLabel('Phone number').count(), 0, 'the add forms are on demand');
  await useForm(page, page, 'Add phone', [['Phone number', '555-0110']], 'Save phone', 'Phone added.');
  const phones = page.getByRole('list', { name: 'Phones' });
  await useForm(page, phones, 'Edit Mobile: 555-0110', [['Phone label', 'Home'], ['Phone number', '555-0111']], 'Save changes', 'Phone updated.');
  await phones.getByText('Home: 555-0111').waitFor();
  await useForm(page, page, 'Add to care team', [["Provider's name", 'Dr Patel'], ['Role', 'Primary care']], 'Save provider', 'Provider added.');
  const team = page.getByRole('list', { name: 'Care team' });
  await useForm(page, team, 'Edit Dr Patel', [["Provider's phone", '555-0120']], 'Save changes', 'Provider updated.');
  await team.getByText('Dr Patel · Primary care · 555-0120').waitFor();
  await inspect(page, 'tablet', 'contacts-edited', problems);

  // Overview: an identifier typo corrected.
  await section('Overview');
  await useForm(page, page, 'Add identifier', [['Identifier', 'MRN-0O1']], 'Save identifier', 'Identifier added.');
  const ids = page.getByRole('list', { name: 'Identifiers' });
  await useForm(page, ids, 'Edit MRN: MRN-0O1', [['Identifier', 'MRN-001'], ['Issued by', 'County Hospital']], 'Save changes', 'Identifier updated.');
  await ids.getByText('MRN: MRN-001').waitFor();

  // Visits: started on demand; its subject and date corrected.
  await section('Visits & calls');
  assert.equal(await page.getByLabel('Subject').count(), 0, 'the start form is on demand');
  await useForm(page, page, 'Start a visit or call', [['Subject', 'Fals review']], 'Start note', 'Note started');
  const visit = page.getByRole('article', { name: `Home visit — ${shown(today)}: Fals review` });
  await visit.waitFor();
  await useForm(page, visit, `Edit Home visit — ${shown(today)}: Fals review`, [['Subject', 'Falls review'], ['Date of contact', later]], 'Save changes', 'Visit updated.');
  await page.getByRole('article', { name: `Home visit — ${shown(later)}: Falls review` }).waitFor();
  await inspect(page, 'tablet', 'visit-edited', problems);

  // A reload later, everything is as corrected.
  await page.reload();
  await passLock(page, me);
  await page.getByRole('heading', { level: 1, name: 'Moss, Ida' }).waitFor();
  await section('Care plan');
  await page.getByRole('region', { name: 'Need: Falls at home' }).getByRole('article', { name: 'Goal: No falls at home' }).getByText('Remove loose rugs').waitFor();
  await section('Contacts & care team');
  await page.getByRole('list', { name: 'Phones' }).getByText('Home: 555-0111').waitFor();
  await section('Overview');
  await page.getByRole('list', { name: 'Identifiers' }).getByText('MRN: MRN-001').waitFor();
  await section('Visits & calls');
  await page.getByRole('article', { name: `Home visit — ${shown(later)}: Falls review` }).waitFor();

  // On a phone the care plan's edit form passes the same checks.
  await page.setViewportSize(VIEWPORTS.phone);
  await section('Care plan');
  await page.getByRole('button', { name: 'Edit need Falls at home' }).click();
  await inspect(page, 'phone', 'care-plan-edit-need', problems);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await section('Contacts & care team');
  await page.getByRole('list', { name: 'Care team' }).getByRole('button', { name: 'Edit Dr Patel' }).click();
  await inspect(page, 'phone', 'contacts-edit-provider', problems);
  await page.getByRole('button', { name: 'Cancel' }).click();
  await section('Visits & calls');
  await inspect(page, 'phone', 'visits-read-first', problems);
  await section('Overview');
  await page.getByRole('button', { name: 'Edit demographics' }).click();
  await inspect(page, 'phone', 'overview-demographics-form', problems);
  await page.getByRole('button', { name: 'Cancel' }).click();

  assert.deepEqual(problems, []);
  assert.deepEqual(errors, []);
  await context.close();
});
