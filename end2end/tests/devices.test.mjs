// Settings → Devices (issue 20): a supervisor sees every device of the workspace with whose it is,
// its name and when it was last seen — names that the relay itself never holds — and revokes a
// care manager's lost tablet. Revoking stops its token (401) and rotates the keys of every patient
// it could read: a change written afterwards, taken straight from the relay's database and given to
// the tablet as if the relay had sent it, does not open with anything the tablet kept, while one
// written before does. The team roster's key is rotated too, which voids invitations made before;
// Cara's new phone joins with a fresh one and is given her patients. Tablet and phone sizes; axe.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { VIEWPORTS, openNewPatient, waitFor, withRelayAndBrowser } from '../harness.mjs';
import { device, goCaseload, goOffline, goSettings, invite, joinWith, openChart, saved, upToDate } from './devices.mjs';
import { inspect, useForm } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

const SAM = { name: 'Sam Rivera', role: 'Supervisor' };
const CARA = { name: 'Cara Diaz', role: 'Care manager' };

/** Settings → the device list, as a person reads it: each item's heading and detail line. */
async function deviceList(page) {
  await goSettings(page);
  await page.getByRole('button', { name: 'Check devices again' }).click();
  const list = page.getByRole('list', { name: 'Devices' });
  await list.waitFor();
  return list;
}

/**
 * Reads the relay's SQLite database the way anyone holding a copy of it could (Python's own
 * sqlite3 module, nothing of Tend's): `sql` with `args`, rows as arrays, blobs as hex.
 */
function relayQuery(sql, args = []) {
  const python = process.env.TEND_FHIR_PYTHON ?? 'python3';
  const script = `
import json, sqlite3, sys
db = sqlite3.connect('file:' + sys.argv[1] + '?mode=ro', uri=True)
rows = db.execute(sys.argv[2], json.loads(sys.argv[3])).fetchall()
print(json.dumps([[v.hex() if isinstance(v, bytes) else v for v in r] for r in rows]))
`;
  const run = spawnSync(python, ['-c', script, join(relay.dataDir, 'relay.sqlite3'), sql, JSON.stringify(args)], { encoding: 'utf8' });
  assert.equal(run.status, 0, `reading the relay's database: ${run.stderr}`);
  return JSON.parse(run.stdout);
}

/** The key generation a stored chunk is sealed under, read from its envelope (PROTOCOL.md "Chunk envelope, version 2"). */
function generationOf(hex) {
  const bytes = Buffer.from(hex, 'hex');
  if (bytes[0] !== 0x02) return 0;
  return bytes.readUInt32BE(1);
}

async function addPatientFor(page, given, family, careManager) {
  await goCaseload(page);
  await openNewPatient(page);
  await page.getByLabel('Given name').fill(given);
  await page.getByLabel('Family name').fill(family);
  await page.getByLabel('Care manager').selectOption({ label: careManager });
  await page.getByRole('button', { name: 'Add patient' }).click();
  await saved(page);
}

async function setLanguage(page, patient, language) {
  await openChart(page, patient, 'Overview');
  await useForm(page, page, 'Edit demographics', [['Preferred language', language]], 'Save demographics', 'Demographics saved.');
  await saved(page);
}

test('a supervisor revokes a lost tablet: its token stops, its patients get new keys, and what is written after does not open with what the tablet kept', async () => {
  const s = await device(browser, relay, 'S', SAM);
  const c = await device(browser, relay, 'C', { name: CARA.name, role: CARA.role });
  const problems = [];
  try {
    // Sam starts the workspace from his laptop, naming it; Cara's tablet joins with an invite for her.
    await goSettings(s.page);
    await s.page.getByLabel(/Name of this device/).fill("Sam's laptop");
    await s.page.getByRole('button', { name: 'Start a workspace' }).click();
    await upToDate(s.page);
    await s.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click();
    await useForm(s.page, s.page, 'Add person', [['Name', CARA.name], ['Role', CARA.role]], 'Add person', 'Person added.');
    await saved(s.page);
    const code = await invite(s.page, CARA.name);
    await goSettings(c.page);
    await c.page.getByLabel(/Name of this device/).fill("Cara's tablet");
    const creds = await joinWith(c.page, code);
    await upToDate(c.page);
    await upToDate(s.page, 60000);

    // Two of Cara's patients reach her tablet.
    await addPatientFor(s.page, 'Rosa', 'Diaz', CARA.name);
    await addPatientFor(s.page, 'Walter', 'Kim', CARA.name);
    await upToDate(s.page);
    for (const name of ['Diaz, Rosa', 'Kim, Walter']) {
      await c.page.getByRole('button', { name: 'Sync now' }).first().click();
      await openChart(c.page, name, 'Overview');
    }
    const ids = {};
    for (const name of ['Diaz, Rosa', 'Kim, Walter']) {
      await openChart(s.page, name, 'Overview');
      ids[name] = new URL(s.page.url()).pathname.split('/').pop();
    }

    // The list: both devices, with their people; Sam's marked as his own.
    let list = await deviceList(s.page);
    await list.getByRole('heading', { name: "Sam's laptop (this device)" }).waitFor();
    const tablet = list.getByRole('listitem').filter({ has: s.page.getByRole('heading', { name: "Cara's tablet", exact: true }) });
    await tablet.waitFor({ timeout: 60000 });
    await tablet.getByText(new RegExp(`^${CARA.name} · Last seen `)).waitFor();
    assert.equal(await list.getByRole('button', { name: "Revoke Sam's laptop" }).count(), 0, 'no revoking the device in hand');
    await inspect(s.page, 'tablet', 'settings-devices', problems);
    await s.page.setViewportSize(VIEWPORTS.phone);
    await inspect(s.page, 'phone', 'settings-devices', problems);
    await s.page.setViewportSize(VIEWPORTS.tablet);

    // The relay's own list holds opaque ids and times, no names of devices or people.
    const res = await fetch(`${relay.url}/api/v1/workspaces/${creds.workspace_id}/devices`, {
      headers: { Authorization: `Bearer ${creds.device_token}` },
    });
    assert.equal(res.status, 200);
    const raw = await res.text();
    for (const name of ["Sam's laptop", "Cara's tablet", CARA.name, SAM.name]) {
      assert.ok(!raw.includes(name), `the relay does not hold "${name}": ${raw}`);
    }
    assert.equal(JSON.parse(raw).devices.length, 2);

    // A care manager cannot revoke anything.
    list = await deviceList(c.page);
    await list.getByRole('heading', { name: "Sam's laptop" }).waitFor();
    assert.equal(await list.getByRole('button', { name: /^Revoke/ }).count(), 0, 'only team leads revoke');

    // The tablet is lost. From now on it hears only what the test gives it: the relay as someone
    // holding a copy of its database would serve it.
    const head = () => Math.max(...relayQuery(
      'SELECT COALESCE(MAX(seq), 0) FROM chunks WHERE workspace_id = ? UNION ALL SELECT COALESCE(MAX(seq), 0) FROM key_log WHERE workspace_id = ?',
      [creds.workspace_id, creds.workspace_id]).map((r) => r[0]));
    let served = [];
    await goOffline(c);
    await c.page.routeWebSocket(/\/notify$/, (ws) => ws.close());
    await c.page.route(/\/api\/v1\//, async (route) => {
      const url = new URL(route.request().url());
      if (route.request().method() !== 'GET' || !url.pathname.endsWith('/chunks')) {
        return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: 'busy', message: 'offline for the test' }) });
      }
      const after = Number(url.searchParams.get('after') ?? 0);
      const doc = url.searchParams.get('doc');
      const chunks = served.filter((ch) => ch.seq > after && (!doc || ch.doc_id === doc));
      const next = Math.max(after, ...chunks.map((ch) => ch.seq));
      return route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ chunks, next_cursor: next, more: false, head_seq: next }) });
    });
    await c.context.setOffline(false);
    const before = head();

    // Before the revocation Sam changes Walter (under the key the tablet holds)…
    await setLanguage(s.page, 'Kim, Walter', 'Spanish');
    await upToDate(s.page);

    // An invitation for Cara made before the revocation (it carries the team roster's key as it
    // is now).
    const early = await invite(s.page, CARA.name);
    const generation = (id) => relayQuery(
      'SELECT COALESCE(MAX(generation), 0) FROM doc_generations WHERE workspace_id = ? AND doc_id = ?', [creds.workspace_id, id])[0][0];
    const rosterBefore = generation('workspace');
    assert.ok(rosterBefore >= 1, 'the team roster has keys');

    // …then revokes the tablet.
    list = await deviceList(s.page);
    await useForm(s.page, list, "Revoke Cara's tablet", [], 'Revoke device', "Device revoked: Cara's tablet.");
    await tablet.getByText(new RegExp(`^${CARA.name} · Revoked .* by ${SAM.name}$`)).waitFor();
    await list.getByRole('button', { name: "Revoke Cara's tablet" }).waitFor({ state: 'detached' });
    const after = await fetch(`${relay.url}/api/v1/workspaces/${creds.workspace_id}/devices`, {
      headers: { Authorization: `Bearer ${creds.device_token}` },
    });
    assert.equal(after.status, 401, 'its token is stopped');

    // Every patient the tablet could read, and the team roster, get a new key that it is not given.
    const readersOf = (id) => relayQuery(
      'SELECT device_id FROM doc_readers WHERE workspace_id = ? AND doc_id = ? ORDER BY device_id', [creds.workspace_id, id]).map((r) => r[0]);
    for (const name of Object.keys(ids)) {
      await waitFor(() => generation(ids[name]) === 2 && !readersOf(ids[name]).includes(creds.device_id),
        `${name}: a new key generation the tablet does not read`, 60000);
      assert.ok(readersOf(ids[name]).length > 0, `${name} is still read by Sam's laptop`);
    }
    await waitFor(() => generation('workspace') === rosterBefore + 1 && !readersOf('workspace').includes(creds.device_id),
      'the team roster: a new key generation the tablet does not read', 60000);

    // Nothing owed is left to show the supervisor.
    await deviceList(s.page);
    await s.page.getByRole('status', { name: 'Keys of revoked devices' })
      .filter({ hasText: "Keys: every record's keys are up to date." }).waitFor({ timeout: 60000 });

    // After the rotation Sam changes Rosa.
    await setLanguage(s.page, 'Diaz, Rosa', 'Tagalog');
    await upToDate(s.page);

    // Both changes, straight from the relay's database, are given to the tablet.
    served = relayQuery(
      'SELECT seq, doc_id, kind, covers_seq, device_id, hex(ciphertext) FROM chunks WHERE workspace_id = ? AND seq > ? AND doc_id IN (?, ?) ORDER BY seq',
      [creds.workspace_id, before, ids['Diaz, Rosa'], ids['Kim, Walter']],
    ).map(([seq, doc_id, kind, covers_seq, device_id, hex]) => ({
      seq, doc_id, kind, covers_seq, device_id, hex, ciphertext: Buffer.from(hex, 'hex').toString('base64'),
    }));
    // Walter's change from before the rotation, under its first key; Rosa's from after, under
    // the second (read from the envelopes themselves).
    served = served.filter((ch) => generationOf(ch.hex) === (ch.doc_id === ids['Kim, Walter'] ? 1 : 2));
    const given = (name) => served.filter((ch) => ch.doc_id === ids[name]).length;
    assert.ok(given('Kim, Walter') > 0, "Walter's change from before the rotation is in the relay's database");
    assert.ok(given('Diaz, Rosa') > 0, "Rosa's change from after the rotation is in the relay's database");
    for (const ch of served) delete ch.hex;
    await c.page.getByRole('button', { name: 'Sync now' }).first().click();

    // The change from before opens with the tablet's keys; the one from after does not.
    await openChart(c.page, 'Kim, Walter', 'Overview');
    await c.page.getByRole('definition').filter({ hasText: /^Spanish$/ }).waitFor({ timeout: 30000 });
    await openChart(c.page, 'Diaz, Rosa', 'Overview');
    assert.equal(await c.page.getByText('Tagalog').count(), 0, "Rosa's change after the rotation does not open on the tablet");

    // Cara gets a new phone. The invitation made before the revocation carries the roster's old
    // key, which could not push the phone's link: the relay voided it with the rotation. A new
    // one works, and Sam's laptop gives the phone the roster and Cara's patients.
    const p = await device(browser, relay, 'P', { name: CARA.name, role: CARA.role });
    try {
      await goSettings(p.page);
      await p.page.getByLabel(/Name of this device/).fill("Cara's phone");
      await p.page.getByLabel('Join code', { exact: true }).fill(early);
      await p.page.getByRole('button', { name: 'Join workspace' }).click();
      await p.page.getByText(/made before the workspace's keys changed/).waitFor();
      const fresh = await invite(s.page, CARA.name);
      const phone = await joinWith(p.page, fresh);
      await upToDate(p.page, 60000);
      await waitFor(() => readersOf('workspace').includes(phone.device_id), "the roster's key sealed to the phone", 60000);
      for (const name of Object.keys(ids)) {
        await waitFor(() => readersOf(ids[name]).includes(phone.device_id), `${name}'s key sealed to the phone`, 60000);
      }
      const caseload = p.page.getByRole('list', { name: 'Patients' });
      await waitFor(async () => {
        await p.page.getByRole('button', { name: 'Sync now' }).first().click();
        await upToDate(p.page, 60000);
        await goCaseload(p.page);
        const listed = await caseload.getByRole('link').allInnerTexts();
        return ['Diaz, Rosa', 'Kim, Walter'].every((n) => listed.some((l) => l.includes(n)));
      }, "Cara's patients on her new phone", 60000);
      // Changes made after the rotation open on the phone (it holds the new keys).
      await openChart(p.page, 'Diaz, Rosa', 'Overview');
      await p.page.getByRole('definition').filter({ hasText: /^Tagalog$/ }).waitFor({ timeout: 30000 });
      // The roster reads on the phone: Sam is on its team page.
      await p.page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Team' }).click();
      await p.page.getByText(SAM.name).first().waitFor();
    } finally {
      await p.context.close();
    }

    assert.deepEqual(problems, [], 'axe and target sizes on the device list');
    assert.deepEqual(s.errors, [], 'S: no console errors');
  } finally {
    for (const dev of [s, c]) await dev.context.close();
  }
});
