// Two tabs of Tend on one device, editing the same patient: both edits are kept, and each tab
// shows the other's edit without a reload (the tabs tell each other through a BroadcastChannel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWPORTS, chartSection, openNewPatient, passLock, waitFor, withRelayAndBrowser } from '../harness.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

async function openSection(page, name) {
  await chartSection(page, name);
  await page.locator('.chart-nav a[aria-current="page"]', { hasText: name }).waitFor({ state: 'attached' });
}

test('two tabs editing one patient keep both edits', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.tablet });
  const first = await context.newPage();
  await first.goto(`${relay.url}/caseload`);
  await passLock(first);
  await openNewPatient(first);
  await first.getByLabel('Given name').fill('Ada');
  await first.getByLabel('Family name').fill('Moreno');
  await first.getByRole('button', { name: 'Add patient' }).click();
  await first.getByRole('list', { name: 'Patients' }).getByRole('link', { name: /Moreno, Ada/ }).click();
  await first.getByRole('heading', { level: 1, name: 'Moreno, Ada' }).waitFor();
  const chartUrl = first.url();

  const second = await context.newPage();
  await second.goto(chartUrl);
  await passLock(second);
  await second.getByRole('heading', { level: 1, name: 'Moreno, Ada' }).waitFor();

  // Tab 1 records an allergy while tab 2, with its own copy of the document, adds a caregiver.
  await openSection(first, 'Conditions & medications');
  await openSection(second, 'Contacts & care team');
  await first.getByRole('button', { name: 'Add allergy' }).click();
  await first.getByLabel('Allergic to').fill('Penicillin');
  await second.getByRole('button', { name: 'Add caregiver' }).click();
  await second.getByLabel("Caregiver's name").fill('Luis Moreno');
  await second.getByLabel('Relationship').fill('Son');
  await first.getByRole('button', { name: 'Save allergy' }).click();
  await second.getByRole('button', { name: 'Save caregiver' }).click();
  await first.getByRole('list', { name: 'Flags and programs' }).getByText('Allergies: Penicillin').waitFor();
  await second.getByRole('list', { name: 'Caregivers' }).getByText(/Luis Moreno \(Son\)/).waitFor();

  // Each tab catches up with the other without a reload.
  await second.getByRole('list', { name: 'Flags and programs' }).getByText('Allergies: Penicillin').waitFor();
  await openSection(first, 'Contacts & care team');
  await first.getByRole('list', { name: 'Caregivers' }).getByText(/Luis Moreno \(Son\)/).waitFor();

  // And both edits are durable: a fresh load has both.
  await first.reload();
  await passLock(first);
  await first.getByRole('list', { name: 'Flags and programs' }).getByText('Allergies: Penicillin').waitFor();
  await openSection(first, 'Contacts & care team');
  await first.getByRole('list', { name: 'Caregivers' }).getByText(/Luis Moreno \(Son\)/).waitFor();
  assert.equal(await first.getByRole('list', { name: 'Caregivers' }).getByRole('listitem').count(), 1);
  await context.close();
});

// One syncer per browser: the first tab holds the leader lock and is the only one that talks to the
// relay; a second tab shows its status, hands it "Sync now" and its saves, and sees what it pulls.
// Closing the leader tab makes the other one take over within seconds.
test('one tab syncs for the device; the other follows it and takes over when it closes', async () => {
  const syncStatus = (page) => page.getByTestId('sync-status');
  const upToDate = (page, timeout = 30000) =>
    syncStatus(page).filter({ hasText: /Synced: up to date/ }).waitFor({ timeout });
  const goSettings = async (page) => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { level: 2, name: 'Sync between devices' }).waitFor();
  };
  const goCaseload = async (page) => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Caseload' }).click();
    await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
  };
  const addPatient = async (page, given, family) => {
    await goCaseload(page);
    await openNewPatient(page);
    await page.getByLabel('Given name').fill(given);
    await page.getByLabel('Family name').fill(family);
    await page.getByRole('button', { name: 'Add patient' }).click();
    await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: new RegExp(`${family}, ${given}`) }).waitFor();
  };
  const listed = (page, name) =>
    page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: new RegExp(name) });
  /** What one tab asks of the relay: pulls, pushes, and notification sockets. */
  const watch = (page) => {
    const seen = { pulls: 0, pushes: 0, sockets: [] };
    page.on('request', (r) => {
      if (!new URL(r.url()).pathname.endsWith('/chunks')) return;
      if (r.method() === 'GET') seen.pulls += 1;
      if (r.method() === 'POST') seen.pushes += 1;
    });
    page.on('websocket', (ws) => seen.sockets.push(ws));
    return seen;
  };

  // Device A, first tab: it is alone, so it syncs. It starts a workspace.
  const a = await browser.newContext({ viewport: VIEWPORTS.tablet });
  const leader = await a.newPage();
  const leaderSeen = watch(leader);
  await leader.goto(`${relay.url}/caseload`);
  await passLock(leader);
  await goSettings(leader);
  await leader.getByRole('button', { name: 'Start a workspace' }).click();
  await upToDate(leader);
  await leader.getByRole('button', { name: 'Invite a device' }).click();
  const code = (await leader.getByLabel('Join code for a new device').inputValue()).trim();

  // Device B joins (another browser profile: its own leader).
  const b = await browser.newContext({ viewport: VIEWPORTS.tablet });
  const other = await b.newPage();
  await other.goto(`${relay.url}/caseload`);
  await passLock(other);
  await goSettings(other);
  await other.getByLabel('Join code', { exact: true }).fill(code);
  await other.getByRole('button', { name: 'Join workspace' }).click();
  await other.getByText('Joined. This device is receiving').waitFor();
  await upToDate(other);

  // Device A, second tab: it shows the leader's status without syncing itself.
  const follower = await a.newPage();
  const followerSeen = watch(follower);
  await follower.goto(`${relay.url}/caseload`);
  await passLock(follower);
  await upToDate(follower);
  await goSettings(follower);
  await follower.getByText('Another Tend tab on this device syncs for it').waitFor();

  // What B adds reaches the follower tab through the leader.
  await addPatient(other, 'Grace', 'Okafor');
  await upToDate(other);
  await goCaseload(follower);
  await listed(follower, 'Okafor, Grace').waitFor({ timeout: 30000 });

  // What the follower tab saves is pushed by the leader, and B receives it.
  await addPatient(follower, 'Ada', 'Moreno');
  await goCaseload(other);
  await listed(other, 'Moreno, Ada').waitFor({ timeout: 30000 });
  await upToDate(follower);

  // "Sync now" in the follower runs a round in the leader.
  const leaderPulls = leaderSeen.pulls;
  await follower.getByRole('button', { name: 'Sync now' }).first().click();
  await waitFor(async () => leaderSeen.pulls > leaderPulls, 'the leader to pull after "Sync now" in the other tab');
  await upToDate(follower);

  assert.equal(followerSeen.pulls, 0, 'the follower tab never pulled');
  assert.equal(followerSeen.pushes, 0, 'the follower tab never pushed');
  assert.equal(followerSeen.sockets.length, 0, 'the follower tab opened no notification socket');
  assert.ok(leaderSeen.pushes > 0, 'the leader pushed the follower tab\'s patient');

  // The leader tab closes: the other takes over within seconds and syncs on its own.
  await leader.close();
  const closedAt = Date.now();
  await waitFor(async () => followerSeen.sockets.some((ws) => !ws.isClosed()), 'the remaining tab to open the notification socket', 10000);
  const tookOverMs = Date.now() - closedAt;
  assert.ok(tookOverMs < 10000, `took over in ${tookOverMs} ms`);
  await addPatient(other, 'Lan', 'Nguyen');
  await goCaseload(follower);
  await listed(follower, 'Nguyen, Lan').waitFor({ timeout: 30000 });
  await upToDate(follower);
  assert.ok(followerSeen.pulls > 0, 'the new leader pulls');
  await a.close();
  await b.close();
});
