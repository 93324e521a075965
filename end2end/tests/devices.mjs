// Devices for the multi-device tests: a browser context per device, pairing through the harness
// relay (start a workspace, invite, join), going offline, and finding the sync status.
import assert from 'node:assert/strict';
import { VIEWPORTS, chartSection, openApp, openNewPatient, waitFor } from '../harness.mjs';
import { useForm } from './support.mjs';

export const syncStatus = (page) => page.getByTestId('sync-status');
export const upToDate = (page, timeout = 30000) =>
  syncStatus(page).filter({ hasText: /Synced: up to date/ }).waitFor({ timeout });
export const saved = (page) =>
  page.getByRole('status').filter({ hasText: /All changes saved on this device at/ }).waitFor();

/**
 * Console errors of a device that are not the protocol working as it should: the browser logs
 * every 409 as "Failed to load resource", and two devices changing a document's keys at once is
 * settled by exactly that answer (`stale_keys`; the later device plans again).
 */
export const unexpectedErrors = (d) => d.errors.filter((e) => !/status of 409 \(Conflict\)/.test(e));

/** A device: a browser context with its own IndexedDB, tracking the app's WebSockets. */
export async function device(browser, relay, name, person) {
  const context = await browser.newContext({ viewport: VIEWPORTS.tablet });
  const { page, errors } = await openApp(context, `${relay.url}/caseload`, person);
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws));
  return { name, context, page, errors, sockets, person };
}

export async function goSettings(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { level: 2, name: 'Sync between devices' }).waitFor();
}

export async function goCaseload(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Caseload' }).click();
  await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
}

export async function addPatient(page, given, family) {
  await goCaseload(page);
  await openNewPatient(page);
  await page.getByLabel('Given name').fill(given);
  await page.getByLabel('Family name').fill(family);
  await page.getByRole('button', { name: 'Add patient' }).click();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: new RegExp(`${family}, ${given}`) }).waitFor();
  await saved(page);
}

/** An invite for `forWhom` (a label of "New device is for"); by default for the inviter. */
export async function invite(page, forWhom) {
  await goSettings(page);
  if (forWhom) await page.getByLabel('New device is for').selectOption({ label: forWhom });
  await page.getByRole('button', { name: 'Invite a device' }).click();
  const code = page.getByLabel('Join code for a new device');
  await code.waitFor();
  await page.getByRole('img', { name: /QR code of the join code/ }).waitFor();
  return (await code.inputValue()).trim();
}

/** Joins with `code`; returns the credentials the relay issued (stored on the device only sealed). */
export async function joinWith(page, code) {
  await goSettings(page);
  await page.getByLabel('Join code', { exact: true }).fill(code);
  const joined = page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/join');
  await page.getByRole('button', { name: 'Join workspace' }).click();
  const response = await joined;
  assert.equal(response.status(), 201, 'the relay accepts the join');
  await page.getByText('Joined. This device is receiving').waitFor();
  return response.json();
}

/** The devices go offline; the app closes its notification socket when the browser says so. */
export async function goOffline(...devices) {
  for (const d of devices) {
    await d.context.setOffline(true);
    await syncStatus(d.page).filter({ hasText: /^Offline/ }).waitFor();
    await waitFor(async () => d.sockets.every((ws) => ws.isClosed()), `${d.name}'s WebSocket to close`);
  }
}

export const SOMEONE_NEW = 'Someone new (they say who they are on the device)';

/**
 * A starts a workspace; B joins it with A's code and is up to date. A device made for another
 * person joins as that person (an invite for someone new); else as A's second device.
 */
export async function pair(a, b) {
  await goSettings(a.page);
  await a.page.getByRole('button', { name: 'Start a workspace' }).click();
  await upToDate(a.page);
  const code = await invite(a.page, b.person ? SOMEONE_NEW : undefined);
  await joinWith(b.page, code);
  await upToDate(b.page);
}

/** Opens a chart from the team's caseload (any patient on the device, whoever's they are). */
export async function openChart(page, name, section) {
  await goCaseload(page);
  await page.getByRole('radio', { name: 'Team' }).check();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: new RegExp(name) }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
  if (section) {
    await chartSection(page, section);
    await page.locator('.chart-nav a[aria-current="page"]', { hasText: section }).waitFor({ state: 'attached' });
  }
}


/**
 * A colleague is added to a patient's care team from a device that holds the chart (`page` must
 * show it); their devices are then given the patient (each device holds only its people's
 * patients). `person` is the "Person" option's label.
 */
export async function addToCareTeam(page, person) {
  const bar = page.getByRole('region', { name: 'Care team' });
  await useForm(page, bar, 'Add team member', [['Person', person]], 'Add team member', 'Added to the care team.');
  await saved(page);
}

/**
 * Which patients the device's IndexedDB holds anything of (snapshots, chunks, summaries; their
 * record keys are patient ids in the clear, the values are sealed): read directly, as someone
 * holding the device could.
 */
export async function storedPatientIds(page) {
  return page.evaluate(async () => {
    const db = await new Promise((resolve, reject) => {
      const req = indexedDB.open('tend');
      req.onsuccess = () => resolve(req.result);
      req.onerror = () => reject(req.error);
    });
    try {
      const tx = db.transaction(['snapshots', 'chunks', 'summaries'], 'readonly');
      const ask = (req) => new Promise((resolve, reject) => { req.onsuccess = () => resolve(req.result); req.onerror = () => reject(req.error); });
      const [snapshots, chunks, summaries] = await Promise.all([
        ask(tx.objectStore('snapshots').getAllKeys()),
        ask(tx.objectStore('chunks').getAll()),
        ask(tx.objectStore('summaries').getAllKeys()),
      ]);
      const ids = new Set([...snapshots, ...chunks.map((c) => c.doc_id), ...summaries].map(String));
      ids.delete('workspace');
      return [...ids].sort();
    } finally {
      db.close();
    }
  });
}
