// Programs, time and billing (issue 15): enrol in CCM with consent, a 2-minute timer that survives
// a reload (Playwright's clock, not a sleep), 20 minutes logged by hand, the chart's month showing
// 22 minutes and 99490, the monthly report listing the patient, its CSV holding that row, printed;
// a timer left running 95 minutes survives the auto-lock and asks before counting; then two devices
// log time offline and after sync both count the sum. Phone and tablet sizes; axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { VIEWPORTS, chartSection, newPatientChart, passLock, waitFor, withRelayAndBrowser } from '../harness.mjs';
import { addPatient, addToCareTeam, device, goOffline, openChart, pair, saved, upToDate } from './devices.mjs';
import { inspect, localToday, printedText, shown, TEST_PERSON, unlock, useForm } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

const EXPECTED_NETWORK_ERRORS = /ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|WebSocket|status of 409 \(Conflict\)/;

// CMS CCM (clinical staff): 99490 at 20 minutes, 99439 for each further full 20, at most two.
function ccmCodes(minutes) {
  if (minutes < 20) return [];
  const addOns = Math.min(2, Math.floor((minutes - 20) / 20));
  return addOns > 0 ? ['99490', addOns > 1 ? `99439 ×${addOns}` : '99439'] : ['99490'];
}

const monthOf = (isoDay) => isoDay.slice(0, 7);
/** A local Date's day as "YYYY-MM-DD". */
const localDay = (d) => `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;

async function section(page, name) {
  await chartSection(page, name);
  await page.locator('.chart-nav a[aria-current="page"]', { hasText: name }).waitFor({ state: 'attached' });
}

/** The "This month" line of a program, e.g. "CCM: 22 min". */
const monthLine = (page, program) =>
  page.getByRole('list', { name: 'This month by program' }).getByRole('listitem').filter({ hasText: `${program}:` });

async function enrolInCcm(page) {
  await section(page, 'Programs & time');
  await useForm(page, page, 'Enroll in a program', [['Program', 'CCM']], 'Enroll', 'Enrolled.');
}

test('enrol with consent, a timer and manual time reach 99490; the monthly report and its CSV list it', async () => {
  const { context, page, errors } = await newPatientChart(browser, relay, 'Mae', 'Brooks', {
    beforeOpen: (ctx) => ctx.clock.install(),
  });
  const problems = [];
  const today = await localToday(page);
  const patientId = new URL(page.url()).pathname.split('/').pop();

  // Two chronic conditions and a goal: what CCM needs besides consent.
  await section(page, 'Conditions & medications');
  for (const name of ['Heart failure', 'Type 2 diabetes']) {
    await useForm(page, page, 'Add condition', [['Condition', name]], 'Save condition', 'Condition added.');
  }
  await section(page, 'Care plan');
  await useForm(page, page, 'Add need', [['Need', 'Breathless on stairs']], 'Save need', 'Need added.');

  await enrolInCcm(page);
  const card = page.getByRole('article').filter({ has: page.getByRole('heading', { name: /^CCM — Active since/ }) });
  await card.getByText(`Consent: verbal, ${shown(today)}, obtained by ${TEST_PERSON.name}`).waitFor();
  const eligibility = card.getByRole('list', { name: 'CCM eligibility' });
  assert.equal(await eligibility.getByText(/^Missing:/).count(), 0, await eligibility.innerText());
  assert.equal(await eligibility.getByText(/^Met:/).count(), 3);

  // A case-management episode for an acute event, opened and closed with its outcome.
  await useForm(page, page, 'Open an episode', [['Reason (the acute event)', 'Fall at home']], 'Open episode', 'Episode opened.');
  await page.getByRole('heading', { name: `Fall at home — open since ${shown(today)}` }).waitFor();
  await useForm(page, page, 'Close episode: Fall at home', [['Outcome', 'Walker delivered, home safety visit done']], 'Close episode');
  const episode = page.getByRole('article').filter({ has: page.getByRole('heading', { name: `Fall at home — closed ${shown(today)}` }) });
  await episode.getByText('Outcome: Walker delivered, home safety visit done').waitFor();

  // The timer: the clock is paused, so the time it counts is exactly what the test moves it by.
  const base = await page.evaluate(() => Date.now() + 1000);
  await context.clock.pauseAt(base);
  await page.getByRole('button', { name: 'Start timer' }).click();
  const start = page.getByRole('form', { name: 'Start timer' });
  await start.getByLabel('Program').selectOption({ label: 'CCM' });
  await start.getByLabel('Activity').fill('Phone call with patient');
  await start.getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByText('Timer running:').waitFor();

  // A reload (and the lock it brings) keeps the timer.
  await page.reload();
  await passLock(page);
  await page.getByText('Timer running:').waitFor();
  await context.clock.fastForward(2 * 60_000 + 5_000);
  await page.locator('.timer-clock').filter({ hasText: /^02:0\d$/ }).waitFor();
  await page.getByRole('button', { name: 'Stop and log time' }).click();
  await page.getByRole('status').filter({ hasText: 'Logged 2 min of CCM.' }).waitFor();
  await context.clock.resume();

  // Twenty minutes logged by hand (date, program, staff and role default to today, CCM, me).
  await useForm(page, page, 'Log time', [['Minutes', '20'], ['Activity', 'Care plan review']], 'Save time', 'Time logged.');

  const minutes = 2 + 20;
  const codes = ccmCodes(minutes);
  assert.deepEqual(codes, ['99490']);
  const line = monthLine(page, 'CCM');
  await line.filter({ hasText: `CCM: ${minutes} min` }).waitFor();
  assert.match(await line.innerText(), new RegExp(`Codes reached: ${codes.join(', ')}`));
  const log = page.getByRole('list', { name: 'Time logged' });
  await log.getByText(/2 min · CCM · Phone call with patient · Ana López \(Nurse\) · timed/).waitFor();
  await log.getByText(/20 min · CCM · Care plan review/).waitFor();
  for (const size of ['tablet', 'phone']) {
    await page.setViewportSize(VIEWPORTS[size]);
    await inspect(page, size, 'programs', problems);
  }
  await page.setViewportSize(VIEWPORTS.tablet);

  // The monthly report.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Billing' }).click();
  await page.getByRole('heading', { level: 1, name: /^Billing report:/ }).waitFor();
  const row = page.getByRole('row').filter({ has: page.getByRole('rowheader', { name: 'Brooks, Mae' }) });
  await row.waitFor();
  const cells = await row.getByRole('cell').allInnerTexts();
  assert.deepEqual(cells, ['CCM', String(minutes), codes.join(', '), 'Yes', '']);
  for (const size of ['tablet', 'phone']) {
    await page.setViewportSize(VIEWPORTS[size]);
    await inspect(page, size, 'billing-report', problems);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${size}: the report is ${overflow}px wider than the screen`);
  }
  await page.setViewportSize(VIEWPORTS.tablet);

  // Printed: the report's rows and totals, none of the app's navigation or buttons.
  const printed = await printedText(page);
  assert.match(printed, /Billing report: \w+ \d{4}/);
  assert.match(printed, new RegExp(`Brooks, Mae CCM ${minutes} ${codes.join(', ')} Yes`));
  for (const absent of ['Caseload', 'Download CSV', 'Lock']) assert.ok(!printed.includes(absent), `printed: ${absent}`);

  const downloading = page.waitForEvent('download');
  await page.getByRole('link', { name: 'Download CSV' }).click();
  const download = await downloading;
  assert.equal(download.suggestedFilename(), `tend-billing-${monthOf(today)}.csv`);
  const csv = (await readFile(await download.path(), 'utf8')).split('\r\n');
  assert.equal(csv[0], 'month,patient_id,patient,program,minutes_logged,minutes_counted,code,units,billable,blockers');
  assert.ok(
    csv.includes(`${monthOf(today)},${patientId},"Brooks, Mae",CCM,${minutes},${minutes},99490,1,yes,`),
    csv.join('\n'),
  );

  // A timer left running past 90 minutes: the device locks itself meanwhile; after unlocking, the
  // timer is still running and stopping it asks how much to count.
  await row.getByRole('link', { name: 'Brooks, Mae' }).click();
  await page.getByRole('heading', { level: 1, name: 'Brooks, Mae' }).waitFor();
  await context.clock.pauseAt(await page.evaluate(() => Date.now() + 1000));
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('form', { name: 'Start timer' }).getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByText('Timer running:').waitFor();
  await context.clock.fastForward(95 * 60_000);
  // Time flows again (locking waits on timers); the lock and unlock take seconds, not minutes.
  await context.clock.resume();
  await unlock(page);
  await page.getByText('Timer running:').waitFor();
  await page.getByRole('button', { name: 'Stop and log time' }).click();
  const ask = page.getByRole('form', { name: /^The timer ran 1 h \d+ min$/ });
  const [, ran] = (await ask.getByRole('heading').innerText()).match(/1 h (\d+) min/);
  assert.ok(Number(ran) >= 35 && Number(ran) <= 36, `ran 1 h ${ran} min`);
  assert.equal(await ask.getByLabel('Minutes to log').inputValue(), String(60 + Number(ran)));
  await ask.getByLabel('Minutes to log').fill('45');
  await ask.getByRole('button', { name: 'Log these minutes' }).click();
  await page.getByRole('status').filter({ hasText: 'Logged 45 min of CCM.' }).waitFor();
  const later = minutes + 45;
  await monthLine(page, 'CCM').filter({ hasText: `CCM: ${later} min` }).waitFor();
  assert.match(await monthLine(page, 'CCM').innerText(), new RegExp(`Codes reached: ${ccmCodes(later).join(', ')}`));

  // Two tabs show the same running timer; stopping it in both logs its time once.
  await page.getByRole('button', { name: 'Start timer' }).click();
  await page.getByRole('form', { name: 'Start timer' }).getByRole('button', { name: 'Start', exact: true }).click();
  await page.getByText('Timer running:').waitFor();
  const tab = await context.newPage();
  await tab.goto(page.url());
  await passLock(tab);
  await tab.getByText('Timer running:').waitFor();
  await context.clock.fastForward(3 * 60_000);
  await page.getByRole('button', { name: 'Stop and log time' }).click();
  await page.getByRole('status').filter({ hasText: 'Logged 3 min of CCM.' }).waitFor();
  await tab.getByRole('button', { name: 'Stop and log time' }).click();
  await tab.getByRole('status').filter({ hasText: 'This timer was already stopped in another tab; nothing logged again.' }).waitFor();
  await monthLine(page, 'CCM').filter({ hasText: `CCM: ${later + 3} min` }).waitFor();
  await tab.close();

  assert.deepEqual(problems, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('in the last week of the month Today lists a patient a few minutes short of 99490', async () => {
  const now = new Date();
  const lastDay = new Date(now.getFullYear(), now.getMonth() + 1, 0).getDate();
  const daysLeft = 3;
  const fakeToday = new Date(now.getFullYear(), now.getMonth(), lastDay - daysLeft, 10, 0);
  const { context, page, errors } = await newPatientChart(browser, relay, 'Lu', 'Reyes', {
    beforeOpen: (ctx) => ctx.clock.install({ time: fakeToday }),
  });
  await section(page, 'Conditions & medications');
  for (const name of ['COPD', 'Chronic kidney disease']) {
    await useForm(page, page, 'Add condition', [['Condition', name]], 'Save condition', 'Condition added.');
  }
  await section(page, 'Care plan');
  await useForm(page, page, 'Add need', [['Need', 'Short of breath at night']], 'Save need', 'Need added.');
  await enrolInCcm(page);
  const logged = 12;
  await useForm(page, page, 'Log time', [['Minutes', String(logged)]], 'Save time', 'Time logged.');

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Today' }).click();
  const near = page.getByRole('list', { name: 'Close to a billing threshold' });
  await near.getByRole('link', { name: /Reyes, Lu/ }).waitFor();
  assert.match(await near.innerText(), new RegExp(`CCM: ${20 - logged} min to 99490, ${daysLeft} days left`));

  // Paused, the patient leaves that list; resumed, the pause stays in the program's history.
  await near.getByRole('link', { name: /Reyes, Lu/ }).click();
  await page.getByRole('heading', { level: 1, name: 'Reyes, Lu' }).waitFor();
  const day = localDay(fakeToday);
  await useForm(page, page, 'Pause CCM', [['Reason', 'In rehab for two weeks']], 'Pause');
  await page.getByRole('heading', { name: `CCM — Paused ${shown(day)}` }).waitFor();
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Today' }).click();
  await page.getByRole('heading', { level: 2, name: 'Due today' }).waitFor();
  assert.equal(await page.getByRole('list', { name: 'Close to a billing threshold' }).count(), 0);
  await page.goBack();
  await useForm(page, page, 'Resume CCM', [], 'Resume');
  await page.getByRole('heading', { name: `CCM — Active since ${shown(day)}` }).waitFor();
  const history = await page.getByRole('article').filter({ hasText: 'Status history' }).innerText();
  assert.match(history, new RegExp(`Paused ${shown(day)} by ${TEST_PERSON.name}: In rehab for two weeks`));
  assert.match(history, new RegExp(`Resumed ${shown(day)} by ${TEST_PERSON.name}`));
  assert.deepEqual(errors, []);
  await context.close();
});

test('time logged on two devices offline both counts after sync', async () => {
  const a = await device(browser, relay, 'A');
  const b = await device(browser, relay, 'B', { name: 'Ben Okoro', role: 'Care manager' });
  await addPatient(a.page, 'Iris', 'Vega');
  await openChart(a.page, 'Vega, Iris', 'Programs & time');
  await useForm(a.page, a.page, 'Enroll in a program', [['Program', 'CCM']], 'Enroll', 'Enrolled.');
  await saved(a.page);
  await pair(a, b);
  // Ben is another person: Ana adds him to Iris's care team, and his device is given her chart.
  await openChart(a.page, 'Vega, Iris', 'Contacts & care team');
  await addToCareTeam(a.page, 'Ben Okoro');
  await openChart(b.page, 'Vega, Iris', 'Programs & time');
  await b.page.getByRole('heading', { name: /^CCM — Active since/ }).waitFor();

  await openChart(a.page, 'Vega, Iris', 'Programs & time');
  await goOffline(a, b);
  const logged = { a: 7, b: 8 };
  await useForm(a.page, a.page, 'Log time', [['Minutes', String(logged.a)], ['Activity', 'Call with pharmacy']], 'Save time', 'Time logged.');
  await useForm(b.page, b.page, 'Log time', [['Minutes', String(logged.b)], ['Activity', 'Home visit prep']], 'Save time', 'Time logged.');
  await monthLine(a.page, 'CCM').filter({ hasText: `CCM: ${logged.a} min` }).waitFor();
  await monthLine(b.page, 'CCM').filter({ hasText: `CCM: ${logged.b} min` }).waitFor();

  await a.context.setOffline(false);
  await b.context.setOffline(false);
  const total = logged.a + logged.b;
  for (const d of [a, b]) {
    await upToDate(d.page, 60000);
    await waitFor(async () => (await monthLine(d.page, 'CCM').innerText()).includes(`CCM: ${total} min`),
      `${d.name} to count ${total} min`, 60000);
    const entries = d.page.getByRole('list', { name: 'Time logged' }).getByRole('listitem');
    assert.equal(await entries.count(), 2, `${d.name}: one entry per device, none doubled`);
  }
  for (const d of [a, b]) {
    assert.deepEqual(d.errors.filter((e) => !EXPECTED_NETWORK_ERRORS.test(e)), []);
    await d.context.close();
  }
});
