// The care manager's day, at tablet and phone size: add a patient → PHQ-9 with a positive item 9
// (safety flag) → care plan with two goals and three actions → a visit with notes, symptom review
// and a follow-up for today → Today shows it → reload → everything is still there. Every screen
// is checked with axe-core (WCAG 2.2 AA tags) and for 44 px touch targets, and screenshotted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWPORTS, chartSection, openNewPatient, passLock, withRelayAndBrowser } from '../harness.mjs';
import { inspect, localToday, useForm } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

const saved = (page) => page.getByRole('status').filter({ hasText: /All changes saved on this device at/ }).waitFor();

async function openSection(page, name) {
  await chartSection(page, name);
  await page.locator(`.chart-nav a[aria-current="page"]`, { hasText: name }).waitFor({ state: 'attached' });
}

/** Waits until the save status says saved and nothing is in flight. */
async function settled(page) {
  await page.waitForFunction(() => {
    const s = [...document.querySelectorAll('[role=status]')].map((e) => e.textContent);
    return s.some((t) => t.includes('All changes saved on this device at')) && !s.some((t) => t.includes('Saving'));
  });
}

for (const [size, viewport] of [['tablet', VIEWPORTS.tablet], ['tablet-large', VIEWPORTS.tabletLarge], ['phone', VIEWPORTS.phone]]) {
  test(`a care manager's day at ${size} size (${viewport.width}x${viewport.height})`, async () => {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    const problems = [];

    // Today is the home screen; with no patients, nothing is due.
    await page.goto(relay.url);
    await passLock(page);
    await page.getByRole('heading', { level: 1, name: 'Today' }).waitFor();
    await page.getByText('Nothing is due today.').waitFor();
    const today = await localToday(page);

    // Add a patient from the caseload.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Caseload' }).click();
    await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
    await openNewPatient(page);
    await page.getByLabel('Given name').fill('Rosa');
    await page.getByLabel('Family name').fill('Diaz');
    await page.getByRole('button', { name: 'Add patient' }).click();
    const patients = page.getByRole('list', { name: 'Patients' });
    await patients.getByRole('link', { name: /Diaz, Rosa/ }).click();
    await page.getByRole('heading', { level: 1, name: 'Diaz, Rosa' }).waitFor();
    const chartUrl = page.url().split('?')[0];
    await inspect(page, size, 'chart-overview', problems);

    // Assessment: PHQ-9 with item 9 positive → safety flag in the header.
    await openSection(page, 'Assessment');
    const phq = page.getByRole('form', { name: /PHQ-9/ });
    await phq.waitFor();
    for (let i = 1; i <= 9; i++) {
      const answer = i === 9 || i % 2 === 0 ? 'Several days' : 'Not at all';
      await phq.getByRole('group', { name: new RegExp(`^${i}\\. `) }).getByRole('radio', { name: answer }).check();
    }
    await phq.getByRole('status').filter({ hasText: 'Score 5 of 27' }).waitFor();
    assert.equal(await page.getByText(/Safety flag:/).count(), 0, 'no safety flag before saving');
    await phq.getByRole('button', { name: 'Save PHQ-9' }).click();
    await page.getByRole('alert').filter({ hasText: 'Safety flag' }).waitFor();
    await page.getByRole('list', { name: 'Past scores' }).getByText(/Latest 5 of 27/).waitFor();
    await page.getByLabel('Physical health').fill('Walks with a cane; ankles swollen in the evening.');
    await page.getByLabel('Physical health').blur();
    await settled(page);
    await inspect(page, size, 'assessment', problems);

    // Care plan: one need, two goals, three actions, progress, revision and agreement.
    await openSection(page, 'Care plan');
    assert.equal(await page.getByRole('form').count(), 0, 'the care plan reads first: no form open');
    await useForm(page, page, 'Add need', [['Need', 'Blood pressure control']], 'Save need', 'Need added.');
    const need = page.getByRole('region', { name: 'Need: Blood pressure control' });
    await need.waitFor();
    const goals = [
      ['Lower blood pressure', 'Systolic blood pressure', 'Below 140', ['Daily home BP log', 'Review BP medicines with PCP']],
      ['Take medicines every day', 'Doses missed per week', '0', ['Set up pill organiser']],
    ];
    for (const [goal, measure, target, actions] of goals) {
      await useForm(page, need, 'Add goal for Blood pressure control',
        [['Goal', goal], ['Measure', measure], ['Target', target], ['Goal due date', today]], 'Save goal', 'Goal added.');
      const card = need.getByRole('article', { name: `Goal: ${goal}` });
      await card.waitFor();
      for (const action of actions) {
        await useForm(page, card, `Add action for ${goal}`, [['Action', action], ['Who', 'Patient']], 'Save action', 'Action added.');
        await card.getByRole('list', { name: `Actions for ${goal}` }).getByText(action).waitFor();
      }
    }
    const bp = need.getByRole('article', { name: 'Goal: Lower blood pressure' });
    await useForm(page, bp, 'Record progress on Lower blood pressure', [['Progress measured', '150/90']], 'Save progress', 'Progress recorded.');
    await bp.getByRole('list', { name: 'Progress' }).getByText(/150\/90/).waitFor();
    await useForm(page, page, 'Revise plan', [['Reason for revision', 'New BP readings after the visit']], 'Save revision', 'Revision recorded.');
    await page.getByRole('list', { name: 'Revisions' }).getByText(/New BP readings/).waitFor();
    await useForm(page, page, 'Record patient agreement', [], 'Save agreement', 'Agreement recorded.');
    await page.getByRole('list', { name: 'Agreements' }).getByText(/Patient agreed/).waitFor();
    await settled(page);
    await inspect(page, size, 'care-plan', problems);

    // Visit: start a note, write it, review symptoms, schedule the next follow-up for today.
    await openSection(page, 'Visits & calls');
    await useForm(page, page, 'Start a visit or call', [['Subject', 'Monthly home visit']], 'Start note', 'Note started');
    const visit = page.getByRole('article', { name: /Home visit — .*: Monthly home visit/ });
    await visit.waitFor();
    const notes = visit.getByLabel(/^Note for /);
    await notes.click();
    await notes.pressSequentially('BP 150/90. ', { delay: 5 });
    await notes.pressSequentially('Feels dizzy when standing.');
    await visit.getByRole('checkbox', { name: 'Dizziness or falls' }).check();
    await visit.getByRole('button', { name: 'Save symptom review' }).click();
    await visit.getByText('Symptom review saved: Reported: Dizziness or falls.').waitFor();
    await visit.getByText('No follow-up scheduled yet').waitFor();
    await useForm(page, visit, 'Schedule follow-up',
      [['Follow-up by', 'Visit'], ['Follow-up date', today], ['Reason for follow-up', 'Recheck blood pressure']],
      'Save follow-up', 'Follow-up scheduled.');
    await visit.getByText(/Next follow-up: Visit .* — Recheck blood pressure/).waitFor();
    await settled(page);
    await inspect(page, size, 'visits', problems);

    await openSection(page, 'Follow-ups');
    await page.getByRole('list', { name: 'Scheduled follow-ups' }).getByText(/Recheck blood pressure/).waitFor();
    await page.getByRole('list', { name: 'Past follow-ups' }).getByText(/Dizziness or falls/).waitFor();
    await inspect(page, size, 'follow-ups', problems);

    await openSection(page, 'Contacts & care team');
    await useForm(page, page, 'Add caregiver', [["Caregiver's name", 'Luis Diaz'], ['Relationship', 'Son']], 'Save caregiver', 'Caregiver added.');
    await page.getByRole('list', { name: 'Caregivers' }).getByText(/Luis Diaz \(Son\)/).waitFor();
    await inspect(page, size, 'contacts', problems);

    await openSection(page, 'Conditions & medications');
    await page.getByRole('button', { name: 'Add allergy' }).click();
    await page.getByLabel('Allergic to').fill('Penicillin');
    await page.getByRole('button', { name: 'Save allergy' }).click();
    await page.getByRole('list', { name: 'Flags and programs' }).getByText('Allergies: Penicillin').waitFor();
    await settled(page);
    await inspect(page, size, 'medical', problems);

    // Today: the follow-up is on today's agenda; the safety flag puts Rosa on the worklist.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Today' }).click();
    const agenda = page.getByRole('list', { name: 'Agenda' });
    await agenda.getByRole('link', { name: /Diaz, Rosa.*Recheck blood pressure/ }).waitFor();
    await page.getByRole('list', { name: 'Worklist' }).getByRole('link', { name: /Diaz, Rosa.*Safety flag/ }).waitFor();
    await inspect(page, size, 'today', problems);

    // Reload: everything comes back from IndexedDB.
    await page.reload();
    await passLock(page);
    await agenda.getByRole('link', { name: /Diaz, Rosa.*Recheck blood pressure/ }).waitFor();
    await page.goto(`${chartUrl}?section=plan`);
    await passLock(page);
    await page.getByRole('alert').filter({ hasText: 'Safety flag' }).waitFor();
    await page.getByRole('article', { name: 'Goal: Take medicines every day' }).waitFor();
    assert.equal(await page.getByRole('article', { name: /^Goal: / }).count(), 2);
    assert.equal(await page.getByRole('list', { name: /^Actions for / }).getByRole('listitem').count(), 3);
    await page.getByRole('list', { name: 'Progress' }).getByText(/150\/90/).waitFor();
    await page.getByRole('list', { name: 'Agreements' }).getByText(/Patient agreed/).waitFor();
    await openSection(page, 'Visits & calls');
    assert.equal(
      await page.getByRole('article', { name: /Monthly home visit/ }).getByLabel(/^Note for /).inputValue(),
      'BP 150/90. Feels dizzy when standing.',
    );
    await openSection(page, 'Assessment');
    assert.equal(await page.getByLabel('Physical health').inputValue(), 'Walks with a cane; ankles swollen in the evening.');
    await page.getByRole('list', { name: 'Past scores' }).getByText(/Latest 5 of 27/).waitFor();
    await page.getByRole('list', { name: 'Flags and programs' }).getByText('No caregiver').waitFor({ state: 'detached' });

    // Caseload: search and filters work from summaries.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Caseload' }).click();
    await patients.getByRole('link', { name: /Diaz, Rosa.*Very high/ }).waitFor();
    // On a phone the filters open on demand.
    const filters = page.getByRole('button', { name: /^Filters/ });
    if (await filters.isVisible()) {
      await filters.click();
      assert.equal(await filters.getAttribute('aria-expanded'), 'true');
    }
    await page.getByLabel('Risk tier').selectOption('low');
    await page.getByText('No patient matches your search and filters.').waitFor();
    await page.getByLabel('Risk tier').selectOption('very_high');
    await patients.getByRole('link', { name: /Diaz, Rosa/ }).waitFor();
    await page.getByLabel('Search patients').fill('nobody');
    await page.getByText('No patient matches your search and filters.').waitFor();
    await page.getByLabel('Search patients').fill('dia');
    await patients.getByRole('link', { name: /Diaz, Rosa/ }).waitFor();
    await inspect(page, size, 'caseload', problems);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
    await inspect(page, size, 'settings', problems);

    assert.deepEqual(problems, [], 'accessibility / touch-target problems');
    assert.deepEqual(errors, []);
    await context.close();
  });
}
