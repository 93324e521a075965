// Two devices (two browser contexts) sync through the harness relay: start a workspace, join with
// the code, edit offline (same patient: different fields, the same care-plan list, the same note;
// and different patients), reconnect, and both show the same merged data. The relay restarts in the
// middle of a sync; a device that joins later receives everything; the relay's files hold no
// patient name in plaintext.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VIEWPORTS, waitFor, withRelayAndBrowser } from '../harness.mjs';
import {
  addPatient, device as openDevice, goCaseload, goOffline, goSettings, invite, addToCareTeam, joinWith, openChart, pair, saved,
  syncStatus, upToDate,
} from './devices.mjs';
import { inspect, useForm } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

// The browser logs the requests cut off by going offline and by a relay restart (refused while it
// is down, reset or empty if it stopped mid-request); sync retries them. Anything else fails.
const EXPECTED_NETWORK_ERRORS = /ERR_INTERNET_DISCONNECTED|ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|WebSocket|status of 409 \(Conflict\)/;

const device = (name, person) => openDevice(browser, relay, name, person);

async function patientNames(page) {
  await goCaseload(page);
  await page.getByRole('radio', { name: 'Team' }).check();
  const links = page.getByRole('list', { name: 'Patients' }).getByRole('link');
  return (await links.allInnerTexts()).map((t) => t.split('\n')[0].trim()).sort();
}

/** What the test compares between devices: the merged fields of Rosa's chart. */
async function rosaView(page) {
  await openChart(page, 'Diaz, Rosa', 'Assessment');
  const physical = await page.getByLabel('Physical health').inputValue();
  await openChart(page, 'Diaz, Rosa', 'Care plan');
  const needs = (await page.locator('section.need > h3').allInnerTexts())
    .map((t) => t.replace(/^Need:\s*/, '').trim())
    .sort();
  await openChart(page, 'Diaz, Rosa', 'Conditions & medications');
  const allergies = await page.getByRole('list', { name: 'Flags and programs' }).innerText();
  await openChart(page, 'Diaz, Rosa', 'Contacts & care team');
  const caregivers = await page.getByRole('list', { name: 'Caregivers' }).innerText();
  return { physical, needs, allergies, caregivers };
}

async function relayFilesContain(text) {
  const needle = Buffer.from(text, 'utf8');
  const walk = async (dir) => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (await walk(path)) return true;
      } else if ((await readFile(path)).includes(needle)) {
        return true;
      }
    }
    return false;
  };
  return walk(relay.dataDir);
}

test('two devices edit offline, reconnect and converge; a late joiner gets everything; no plaintext on the relay', async () => {
  const a = await device('A');
  const b = await device('B');

  // A: a patient before sync is set up, then start a workspace (the patient is pushed).
  await addPatient(a.page, 'Rosa', 'Diaz');
  await goSettings(a.page);
  await a.page.getByText('Sync not set up').first().waitFor();
  await a.page.getByRole('button', { name: 'Start a workspace' }).click();
  await upToDate(a.page);

  // B joins with the code A shows, and receives Rosa.
  const code = await invite(a.page);
  assert.match(code, /^TEND1-/);
  await joinWith(b.page, code);
  await upToDate(b.page);
  await waitFor(async () => (await patientNames(b.page)).includes('Diaz, Rosa'), 'B to receive Rosa');

  // Both go offline; the app closes its notification socket when the browser says so.
  await goOffline(a, b);

  // Same patient: different fields, the same list, the same note. And different patients.
  await openChart(a.page, 'Diaz, Rosa', 'Conditions & medications');
  await a.page.getByRole('button', { name: 'Add allergy' }).click();
  await a.page.getByLabel('Allergic to').fill('Penicillin');
  await a.page.getByRole('button', { name: 'Save allergy' }).click();
  await a.page.getByRole('list', { name: 'Flags and programs' }).getByText('Allergies: Penicillin').waitFor();
  // A change that shows in the caseload row (its flags) too.
  await openChart(a.page, 'Diaz, Rosa', 'Overview');
  await useForm(a.page, a.page, 'Edit demographics', [['Code status', 'DNR']], 'Save demographics', 'Demographics saved.');
  await openChart(b.page, 'Diaz, Rosa', 'Contacts & care team');
  await useForm(b.page, b.page, 'Add caregiver', [["Caregiver's name", 'Luis Diaz'], ['Relationship', 'Son']], 'Save caregiver', 'Caregiver added.');
  await b.page.getByRole('list', { name: 'Caregivers' }).getByText(/Luis Diaz \(Son\)/).waitFor();

  for (const [d, need] of [[a, 'Blood pressure control'], [b, 'Safe housing']]) {
    await openChart(d.page, 'Diaz, Rosa', 'Care plan');
    await useForm(d.page, d.page, 'Add need', [['Need', need]], 'Save need', 'Need added.');
    await d.page.getByRole('region', { name: `Need: ${need}` }).waitFor();
    await saved(d.page);
  }
  for (const [d, words] of [[a, 'Walks with a cane.'], [b, 'Sleeps poorly.']]) {
    await openChart(d.page, 'Diaz, Rosa', 'Assessment');
    await d.page.getByLabel('Physical health').fill(words);
    await d.page.getByLabel('Physical health').blur();
    await saved(d.page);
  }
  await addPatient(a.page, 'Ana', 'Lopez');
  await addPatient(b.page, 'Ben', 'Kim');
  for (const d of [a, b]) {
    await syncStatus(d.page).filter({ hasText: /^Offline: \d+ patients?'s? changes waiting/ }).waitFor();
  }

  // Reconnect; the relay restarts in the middle of the sync; nobody presses anything.
  await a.context.setOffline(false);
  await b.context.setOffline(false);
  await relay.restart();

  const all = ['Diaz, Rosa', 'Kim, Ben', 'Lopez, Ana'];
  for (const d of [a, b]) {
    await waitFor(async () => JSON.stringify(await patientNames(d.page)) === JSON.stringify(all), `${d.name} to list every patient`, 60000);
  }
  // Both have pushed and pulled everything: up to date, and nothing waiting.
  for (const d of [a, b]) await upToDate(d.page, 60000);
  let viewA;
  let viewB;
  await waitFor(async () => {
    viewA = await rosaView(a.page);
    viewB = await rosaView(b.page);
    return JSON.stringify(viewA) === JSON.stringify(viewB) && viewA.needs.length === 2 && viewA.caregivers.includes('Luis Diaz');
  }, 'both devices to show the same merged chart', 60000);
  assert.match(viewA.physical, /Walks with a cane\./);
  assert.match(viewA.physical, /Sleeps poorly\./);
  assert.match(viewA.allergies, /Penicillin/);
  assert.deepEqual(viewA.needs, ['Blood pressure control', 'Safe housing']);
  // B stored A's changes to Rosa as they came and brought her caseload row up to date after the
  // sync: it shows A's code status, and the list stops saying it is updating.
  await goCaseload(b.page);
  await b.page.getByRole('radio', { name: 'Team' }).check();
  await b.page.getByRole('list', { name: 'Patients' }).getByRole('link').filter({ hasText: 'Diaz, Rosa' }).filter({ hasText: 'DNR' }).waitFor({ timeout: 30000 });
  await b.page.getByText('3 patients', { exact: true }).waitFor({ timeout: 30000 });

  // Online, an edit on A appears in the chart B has open, without reloading.
  await openChart(b.page, 'Diaz, Rosa', 'Care plan');
  await openChart(a.page, 'Diaz, Rosa', 'Care plan');
  await useForm(a.page, a.page, 'Add need', [['Need', 'Fall prevention']], 'Save need', 'Need added.');
  await saved(a.page);
  await b.page.getByRole('region', { name: 'Need: Fall prevention' }).waitFor({ timeout: 30000 });
  await upToDate(a.page, 60000);
  viewA = await rosaView(a.page);

  // A device joining later receives everything.
  const c = await device('C');
  const pages = [];
  c.page.on('response', (r) => {
    if (r.request().method() === 'GET' && new URL(r.url()).pathname.endsWith('/chunks')) pages.push(r.json());
  });
  await joinWith(c.page, await invite(a.page));
  await waitFor(async () => JSON.stringify(await patientNames(c.page)) === JSON.stringify(all), 'C to list every patient', 60000);
  await upToDate(c.page, 60000);
  assert.deepEqual(await rosaView(c.page), viewA);
  // A and B compacted the relay's log as they synced: C received snapshots, and from the page
  // that brought a snapshot on, no change it covers (the relay dropped those). Changes pulled in an
  // earlier page, before a device compacted, are fine: C's own join writes to the workspace
  // document (its device joins the roster), which A and B may compact while C is still pulling.
  const pulled = (await Promise.all(pages)).flatMap((p, page) => p.chunks.map((ch) => ({ ...ch, page })));
  const snapshots = pulled.filter((ch) => ch.kind === 'snapshot');
  assert.ok(snapshots.length > 0, `C received a snapshot (chunks: ${pulled.map((ch) => ch.kind).join(', ')})`);
  for (const snap of snapshots) {
    const covered = pulled.filter((ch) => ch.doc_id === snap.doc_id && ch.kind === 'change' && ch.seq <= snap.covers_seq
      && ch.page >= snap.page);
    assert.deepEqual(covered.map((ch) => ch.seq), [], `the changes a snapshot of ${snap.doc_id} covers are not sent again`);
  }

  // The relay only ever saw ciphertext.
  for (const secret of ['Diaz', 'Rosa', 'Penicillin', 'Walks with a cane', 'Safe housing', 'Fall prevention']) {
    assert.equal(await relayFilesContain(secret), false, `relay data contains "${secret}"`);
  }

  for (const d of [a, b, c]) {
    assert.deepEqual(d.errors.filter((e) => !EXPECTED_NETWORK_ERRORS.test(e)), [], `${d.name} console errors`);
    await d.context.close();
  }
});

test('relay down: the status says so and when it retries, then sync finishes by itself; a removed device is told and can join again', async () => {
  const a = await device('A');
  const b = await device('B');
  await goSettings(a.page);
  await a.page.getByRole('button', { name: 'Start a workspace' }).click();
  await upToDate(a.page);
  const creds = await joinWith(b.page, await invite(a.page));
  await upToDate(b.page);

  await relay.stop();
  await addPatient(a.page, 'Olga', 'Novak');
  // Honest: not "up to date", a reason and when it retries.
  await syncStatus(a.page).filter({ hasText: /Not synced: relay unreachable — will retry in \d+ s/ }).waitFor();
  assert.equal(await syncStatus(a.page).filter({ hasText: /up to date/ }).count(), 0);

  await relay.restart();
  await waitFor(async () => (await patientNames(b.page)).includes('Novak, Olga'), 'B to receive the patient after the relay is back', 60000);
  await upToDate(a.page, 60000);

  // B is removed from the workspace (revoked on the relay): B says so and offers to join again.
  const res = await fetch(`${relay.url}/api/v1/workspaces/${creds.workspace_id}/devices/${creds.device_id}`, {
    method: 'DELETE', headers: { Authorization: `Bearer ${creds.device_token}` },
  });
  assert.equal(res.status, 204);
  await b.page.getByRole('button', { name: 'Sync now' }).first().click();
  await syncStatus(b.page).filter({ hasText: /removed from the workspace — join again/ }).waitFor();
  await joinWith(b.page, await invite(a.page));
  await upToDate(b.page, 60000);
  for (const d of [a, b]) await d.context.close();
});


test('both devices change the same dose offline: both show it for review, one resolves it, both converge, history keeps every value; a language set both ways is marked quietly until kept', async () => {
  const ana = { name: 'Ana López', role: 'Nurse' };
  const ben = { name: 'Ben Ortiz', role: 'Care manager' };
  const a = await device('A', ana);
  const b = await device('B', ben);
  await addPatient(a.page, 'Walter', 'Okafor');
  await openChart(a.page, 'Okafor, Walter', 'Conditions & medications');
  await a.page.getByRole('button', { name: 'Add medication' }).click();
  await a.page.getByLabel('Medication', { exact: true }).fill('Warfarin');
  await a.page.getByLabel('Dose', { exact: true }).fill('5 mg');
  await a.page.getByRole('button', { name: 'Save medication' }).click();
  await a.page.getByRole('list', { name: 'Current medications' }).getByText('Warfarin 5 mg').waitFor();
  await saved(a.page);
  await pair(a, b);
  // Ben is another person: his device holds only his people's patients, so Walter is not on it
  // until Ana adds him to Walter's care team.
  await upToDate(b.page);
  assert.ok(!(await patientNames(b.page)).includes('Okafor, Walter'), "Walter is not on Ben's device before");
  await openChart(a.page, 'Okafor, Walter', 'Contacts & care team');
  await addToCareTeam(a.page, ben.name);
  await waitFor(async () => (await patientNames(b.page)).includes('Okafor, Walter'), 'B to receive Walter', 60000);

  // Apart, each changes the dose to something else.
  await goOffline(a, b);
  const changeDose = async (d, dose) => {
    await openChart(d.page, 'Okafor, Walter', 'Conditions & medications');
    const meds = d.page.getByRole('list', { name: 'Current medications' });
    await meds.getByRole('button', { name: 'Edit Warfarin' }).click();
    await d.page.getByRole('form').getByLabel('Dose', { exact: true }).fill(dose);
    await d.page.getByRole('form').getByRole('button', { name: 'Save changes' }).click();
    await meds.getByText(`Warfarin ${dose}`).waitFor();
    await saved(d.page);
  };
  await changeDose(a, '2.5 mg');
  await changeDose(b, '7.5 mg');
  // And, not a clinical field, the preferred language: kept both ways, marked quietly, not for review.
  const changeLanguage = async (d, language) => {
    await openChart(d.page, 'Okafor, Walter', 'Overview');
    await useForm(d.page, d.page, 'Edit demographics', [['Preferred language', language]], 'Save demographics', 'Demographics saved.');
    await saved(d.page);
  };
  await changeLanguage(a, 'Spanish');
  await changeLanguage(b, 'Portuguese');

  // Together again: neither value is silently picked; both devices ask for review.
  await a.context.setOffline(false);
  await b.context.setOffline(false);
  for (const d of [a, b]) {
    await d.page.getByRole('link', { name: '1 change needs review' }).waitFor({ timeout: 60000 });
  }
  await b.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Today' }).click();
  await b.page.getByRole('heading', { level: 2, name: '1 patient has changes to review' }).waitFor();
  await b.page.getByRole('list', { name: 'Changes to review' }).getByRole('link', { name: /Okafor, Walter/ }).click();
  const values = b.page.getByRole('list', { name: 'Values of Warfarin: dose' });
  await values.getByText(ana.name).waitFor();
  await values.getByText(ben.name).waitFor();
  const shownValues = (await values.locator('.clash-value > .entry-main').allInnerTexts())
    .map((t) => t.replace(' (shown now)', '').trim()).sort();
  assert.deepEqual(shownValues, ['2.5 mg', '7.5 mg']);
  const problems = [];
  await inspect(b.page, 'tablet', 'review', problems);
  await b.page.setViewportSize(VIEWPORTS.phone);
  await inspect(b.page, 'phone', 'review', problems);
  await b.page.setViewportSize(VIEWPORTS.tablet);
  assert.deepEqual(problems, [], 'the review screen passes axe and target sizes');

  // A keeps B's value; both converge with nothing left to review.
  await a.page.getByRole('link', { name: '1 change needs review' }).click();
  await a.page.getByRole('heading', { level: 2, name: 'Changes to review' }).waitFor();
  await a.page.getByRole('button', { name: 'Keep 7.5 mg for Warfarin: dose' }).click();
  await a.page.getByRole('form').getByRole('button', { name: 'Confirm' }).click();
  await a.page.getByText('Nothing to review').waitFor();
  await b.page.getByText('Nothing to review').waitFor({ timeout: 60000 });
  for (const d of [a, b]) {
    await openChart(d.page, 'Okafor, Walter', 'Conditions & medications');
    const meds = d.page.getByRole('list', { name: 'Current medications' });
    await meds.getByText('Warfarin 7.5 mg').waitFor();
    assert.equal(await d.page.getByRole('link', { name: /needs? review/ }).count(), 0, `${d.name}: nothing to review`);
    await meds.getByRole('button', { name: 'History of Warfarin' }).click();
    const history = d.page.getByRole('list', { name: 'History of Warfarin' });
    for (const line of [`Dose: 5 mg — set by ${ana.name}`, `Dose: 2.5 mg — set by ${ana.name}`,
      `Dose: 7.5 mg — set by ${ben.name}`, `Dose: 7.5 mg — set by ${ana.name}`]) {
      await history.getByText(line).first().waitFor();
    }
  }
  await b.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Today' }).click();
  await b.page.getByRole('heading', { level: 1, name: 'Today' }).waitFor();
  assert.equal(await b.page.getByRole('list', { name: 'Changes to review' }).count(), 0);

  // The language set both ways: each device shows one value and quietly says who set the other.
  const setBy = { Spanish: ana.name, Portuguese: ben.name };
  for (const d of [a, b]) {
    await openChart(d.page, 'Okafor, Walter', 'Overview');
    const marker = d.page.getByRole('group', { name: 'Preferred language was set on two devices' });
    await marker.waitFor({ timeout: 30000 });
    const text = await marker.innerText();
    const shownNow = text.match(/Preferred language: shows “(\w+)”/)?.[1];
    assert.ok(shownNow in setBy, `${d.name}: ${text}`);
    const other = shownNow === 'Spanish' ? 'Portuguese' : 'Spanish';
    assert.match(text, new RegExp(`Also set to “${other}” by ${setBy[other]}`), `${d.name}: who set the other value`);
  }
  await inspect(a.page, 'tablet', 'also-set', problems);
  assert.deepEqual(problems, [], 'the quiet marker passes axe and target sizes');
  await b.page.getByRole('button', { name: 'Keep Portuguese as preferred language' }).click();
  for (const d of [a, b]) {
    await d.page.getByRole('group', { name: 'Preferred language was set on two devices' }).waitFor({ state: 'detached', timeout: 60000 });
    const facts = d.page.getByRole('region', { name: 'Overview' });
    assert.equal(await facts.locator('dt:text-is("Preferred language") + dd').innerText(), 'Portuguese', d.name);
  }

  for (const d of [a, b]) {
    assert.deepEqual(d.errors.filter((e) => !EXPECTED_NETWORK_ERRORS.test(e)), [], `${d.name} console errors`);
    await d.context.close();
  }
});
