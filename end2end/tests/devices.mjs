// Devices for the multi-device tests: a browser context per device, pairing through the harness
// relay (start a workspace, invite, join), going offline, and finding the sync status.
import assert from 'node:assert/strict';
import { VIEWPORTS, chartSection, openApp, openNewPatient, waitFor } from '../harness.mjs';

export const syncStatus = (page) => page.getByTestId('sync-status');
export const upToDate = (page, timeout = 30000) =>
  syncStatus(page).filter({ hasText: /Synced: up to date/ }).waitFor({ timeout });
export const saved = (page) =>
  page.getByRole('status').filter({ hasText: /All changes saved on this device at/ }).waitFor();

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


/** A colleague outside the patient's care team joins it to make changes (recorded on the chart). */
export async function joinCareTeam(page) {
  await page.getByRole('button', { name: 'Join the care team' }).click();
  await page.getByRole('button', { name: 'Join the care team' }).waitFor({ state: 'detached' });
}
