// A care team (issue 19): a supervisor's device starts the workspace and adds two care managers
// to the roster; each care manager's device joins with an invite for them and becomes theirs;
// each sees only their own patients under "My patients"; a handover moves a patient with its note,
// which the receiver reads first; the supervisor's dashboard counts what the test created. Phone
// and tablet sizes; axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWPORTS, chartSection, openNewPatient, waitFor, withRelayAndBrowser } from '../harness.mjs';
import { addPatient, device, goCaseload, goSettings, joinWith, saved, storedPatientIds, unexpectedErrors, upToDate } from './devices.mjs';
import { addDays, inspect, localToday, useForm } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

const SAM = { name: 'Sam Rivera', role: 'Supervisor' };
const CARA = { name: 'Cara Diaz', role: 'Care manager', credentials: 'RN' };
const DEV = { name: 'Dev Patel', role: 'Care manager', credentials: 'LCSW' };
const signed = (p) => `${p.name}, ${p.credentials}`;

async function go(page, name) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true }).click();
}

/** The patients the caseload lists with "My patients" or "Team" chosen. */
async function listed(page, scope) {
  await goCaseload(page);
  await page.getByRole('radio', { name: scope }).check();
  const list = page.getByRole('list', { name: 'Patients' });
  if (!(await list.isVisible())) return [];
  return (await list.locator('.patient-name').allInnerTexts()).sort();
}

async function waitForListed(page, scope, expected, what) {
  const want = JSON.stringify([...expected].sort());
  let last;
  await waitFor(async () => {
    last = await listed(page, scope);
    return JSON.stringify(last) === want;
  }, () => `${what} (last listed: ${JSON.stringify(last)})`, 60000);
}

async function openFrom(page, scope, name) {
  await listed(page, scope);
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: new RegExp(name) }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
}

/** Settings → an invite for `person` (by their signed name on the roster). */
/** Join codes shown so far: each invite shows a new one (an earlier code never lingers on screen). */
const shownCodes = new Set();

async function inviteFor(page, person) {
  await goSettings(page);
  await page.getByLabel('New device is for').selectOption({ label: signed(person) });
  await page.getByRole('button', { name: 'Invite a device' }).click();
  const code = page.getByLabel('Join code for a new device');
  await code.waitFor();
  const value = (await code.inputValue()).trim();
  assert.ok(!shownCodes.has(value), 'a new invite shows a new code, never the previous one');
  shownCodes.add(value);
  return value;
}

/** The number in the dashboard for `row` and `measure` (0 when the cell shows no link). */
async function count(page, row, measure) {
  const link = page.getByRole('link', { name: new RegExp(`^${row}: ${measure} — \\d+ patients?$`) });
  if ((await link.count()) === 0) return 0;
  return Number(await link.innerText());
}

test('a supervisor and two care managers: roster, invites for a person, my patients, a handover with its note, the dashboard', async () => {
  const s = await device(browser, relay, 'S', SAM);
  const c = await device(browser, relay, 'C', { name: CARA.name, role: CARA.role });
  const d = await device(browser, relay, 'D', { name: DEV.name, role: DEV.role });
  const problems = [];
  try {
    // The supervisor starts the workspace: they are its roster's first person.
    await goSettings(s.page);
    await s.page.getByRole('button', { name: 'Start a workspace' }).click();
    await upToDate(s.page);
    await go(s.page, 'Team');
    await s.page.getByRole('heading', { level: 1, name: 'Team' }).waitFor();
    const people = s.page.getByRole('list', { name: 'People' });
    await people.getByRole('heading', { name: SAM.name }).waitFor();
    for (const p of [CARA, DEV]) {
      await useForm(s.page, s.page, 'Add person', [['Name', p.name], ['Role', p.role], ['Credentials', p.credentials]], 'Add person', 'Person added.');
      await people.getByRole('heading', { name: signed(p) }).waitFor();
    }
    await saved(s.page);
    await inspect(s.page, 'tablet', 'team-roster', problems);

    // Each care manager's device joins with an invite for them, and is theirs.
    for (const [dev, person] of [[c, CARA], [d, DEV]]) {
      await joinWith(dev.page, await inviteFor(s.page, person));
      await upToDate(dev.page);
      await goSettings(dev.page);
      assert.equal(await dev.page.getByLabel('Your name').inputValue(), person.name, 'the device took the invited person');
    }

    // Patients, each added by (and so assigned to) their care manager.
    const today = await localToday(c.page);
    await addPatient(c.page, 'Alma', 'Reyes');
    await addPatient(c.page, 'Bruno', 'Silva');
    await addPatient(d.page, 'Chen', 'Wei');
    // The supervisor adds one for Cara.
    await goCaseload(s.page);
    await openNewPatient(s.page);
    await s.page.getByLabel('Given name').fill('Dina');
    await s.page.getByLabel('Family name').fill('Moss');
    await s.page.getByLabel('Care manager').selectOption({ label: signed(CARA) });
    await s.page.getByRole('button', { name: 'Add patient' }).click();
    await saved(s.page);
    // One overdue follow-up, on Cara's Alma.
    await openFrom(c.page, 'My patients', 'Reyes, Alma');
    await chartSection(c.page, 'Follow-ups');
    await useForm(c.page, c.page, 'Schedule follow-up',
      [['Follow-up by', 'Call'], ['Follow-up date', addDays(today, -2)], ['Reason for follow-up', 'Check the new inhaler']],
      'Save follow-up', 'Follow-up scheduled.');
    await saved(c.page);

    const all = ['Moss, Dina', 'Reyes, Alma', 'Silva, Bruno', 'Wei, Chen'];
    const mine = { [CARA.name]: ['Moss, Dina', 'Reyes, Alma', 'Silva, Bruno'], [DEV.name]: ['Wei, Chen'] };
    // Each device holds only its people's patients: the supervisor's every one, each care
    // manager's only their own (issue 20).
    await waitForListed(s.page, 'Team', all, 'the supervisor holds every patient');
    await waitForListed(c.page, 'Team', mine[CARA.name], "Cara's device holds only her patients");
    await waitForListed(d.page, 'Team', mine[DEV.name], "Dev's device holds only his patients");
    await waitForListed(c.page, 'My patients', mine[CARA.name], 'Cara sees only her patients');
    await waitForListed(d.page, 'My patients', mine[DEV.name], 'Dev sees only his patients');
    await c.page.getByRole('list', { name: 'Patients' }).waitFor();
    await inspect(c.page, 'tablet', 'caseload-mine', problems);
    // Not merely hidden: nothing of another care manager's patient is stored on the device.
    const ids = {};
    for (const name of all) {
      await openFrom(s.page, 'Team', name);
      ids[name] = new URL(s.page.url()).pathname.split('/').pop();
    }
    const idsOf = (names) => names.map((n) => ids[n]).sort();
    await waitFor(async () => JSON.stringify(await storedPatientIds(c.page)) === JSON.stringify(idsOf(mine[CARA.name])),
      "Cara's device stores only her patients");
    assert.deepEqual(await storedPatientIds(d.page), idsOf(mine[DEV.name]), "Dev's device stores only his patient");

    // The supervisor hands Bruno over from Cara to Dev, with a note.
    const note = 'Daughter calls on Fridays; the walker delivery is still pending.';
    await openFrom(s.page, 'Team', 'Silva, Bruno');
    const bar = s.page.getByRole('region', { name: 'Care team' });
    await bar.getByText(`Care manager: ${CARA.name}`).waitFor();
    await useForm(s.page, bar, 'Hand over', [['New care manager', signed(DEV)], ['Handover note', note]], 'Hand over', 'Handed over.');
    await bar.getByText(`Care manager: ${DEV.name}`).waitFor();
    await saved(s.page);
    mine[DEV.name] = ['Silva, Bruno', 'Wei, Chen'];
    mine[CARA.name] = ['Moss, Dina', 'Reyes, Alma'];
    await waitForListed(d.page, 'My patients', mine[DEV.name], 'Bruno moved to Dev');
    await waitForListed(c.page, 'Team', mine[CARA.name], "Bruno left Cara's device");
    // Cara's device says so, and keeps nothing of him.
    await c.page.getByRole('status', { name: 'Changes on this device' })
      .getByText('Silva, Bruno is no longer on this device').waitFor();
    await waitFor(async () => JSON.stringify(await storedPatientIds(c.page)) === JSON.stringify(idsOf(mine[CARA.name])),
      "Bruno's data to leave Cara's device");
    assert.deepEqual(await storedPatientIds(d.page), idsOf(mine[DEV.name]), "Dev's device stores Bruno now");

    // Dev reads the note first, acknowledges it; the history keeps the handover.
    await openFrom(d.page, 'My patients', 'Silva, Bruno');
    const notice = d.page.getByRole('region', { name: 'Handed over to you' });
    await notice.getByText(note).waitFor();
    await notice.getByText(`From ${CARA.name} by ${SAM.name}`).waitFor();
    await inspect(d.page, 'tablet', 'handover-note', problems);
    await d.page.setViewportSize(VIEWPORTS.phone);
    await inspect(d.page, 'phone', 'handover-note', problems);
    await d.page.setViewportSize(VIEWPORTS.tablet);
    await notice.getByRole('button', { name: 'Got it' }).click();
    await notice.waitFor({ state: 'detached' });
    await saved(d.page);
    const dBar = d.page.getByRole('region', { name: 'Care team' });
    await dBar.getByText(/Handover history \(2\)/).click();
    const history = d.page.getByRole('list', { name: 'Handover history' });
    await history.getByText(`${CARA.name} → ${DEV.name}, by ${SAM.name}`).waitFor();
    await history.getByText(`Note: ${note}`).waitFor();
    await history.getByText(`Read by ${DEV.name}`).waitFor();
    await history.getByText(`assigned to ${CARA.name} by ${CARA.name}`).waitFor();

    // The dashboard counts, computed here from what the test made.
    await go(s.page, 'Team');
    await s.page.getByRole('heading', { level: 2, name: 'Dashboard' }).waitFor();
    const expected = {
      'Whole team': { Patients: all.length, 'No care plan': all.length, 'Overdue follow-ups or plan actions': 1 },
      [CARA.name]: { Patients: mine[CARA.name].length, 'No care plan': mine[CARA.name].length, 'Overdue follow-ups or plan actions': 1 },
      [DEV.name]: { Patients: mine[DEV.name].length, 'No care plan': mine[DEV.name].length, 'Overdue follow-ups or plan actions': 0 },
    };
    const seenCounts = async () => {
      const seen = {};
      for (const row of Object.keys(expected)) {
        seen[row] = {};
        for (const measure of Object.keys(expected[row])) seen[row][measure] = await count(s.page, row, measure);
      }
      return seen;
    };
    let seen;
    await waitFor(async () => {
      seen = await seenCounts();
      return JSON.stringify(seen) === JSON.stringify(expected);
    }, 'the dashboard to count what was created', 60000).catch(() => {});
    assert.deepEqual(seen, expected, 'the dashboard counts what was created');
    // A number opens the patients behind it.
    await s.page.getByRole('link', { name: `${DEV.name}: Patients — 2 patients` }).click();
    const behind = s.page.getByRole('list', { name: 'Patients behind the number' });
    await behind.getByRole('link', { name: 'Silva, Bruno' }).waitFor();
    assert.deepEqual((await behind.locator('.patient-name').allInnerTexts()).sort(), mine[DEV.name]);
    await inspect(s.page, 'tablet', 'team-dashboard', problems);
    await s.page.setViewportSize(VIEWPORTS.phone);
    await inspect(s.page, 'phone', 'team-dashboard', problems);
    await s.page.setViewportSize(VIEWPORTS.tablet);

    // The supervisor's Today can show one person's work.
    await go(s.page, 'Today');
    await s.page.getByLabel('Work of').selectOption({ label: signed(CARA) });
    await s.page.getByRole('link', { name: /Reyes, Alma/ }).first().waitFor();
    assert.equal(await s.page.getByRole('link', { name: /Wei, Chen/ }).count(), 0, "Dev's patient is not in Cara's work");

    assert.deepEqual(problems, [], 'axe and target sizes on the team screens');
    for (const dev of [s, c, d]) assert.deepEqual(unexpectedErrors(dev), [], `${dev.name}: no console errors`);
  } finally {
    for (const dev of [s, c, d]) await dev.context.close();
  }
});
