// The device lock (issue 7): first run sets a PIN; "Lock" and inactivity lock the app; a wrong PIN is
// refused with an alert; the right PIN brings back the same screen with its data; "Change PIN" swaps
// the PIN; ten wrong PINs erase the device's data (with a warning before the last attempts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWPORTS, openNewPatient, waitFor, withRelayAndBrowser } from '../harness.mjs';
import { inspect, setUpPin, TEST_PIN, unlock } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

async function newApp({ clock = false } = {}) {
  const context = await browser.newContext({ viewport: VIEWPORTS.tablet });
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  // Fake timers and Date, installed before the app loads; time still flows until fast-forwarded.
  if (clock) await page.clock.install();
  await page.goto(`${relay.url}/caseload`);
  return { context, page, errors };
}

async function addPatient(page, given, family) {
  await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
  await openNewPatient(page);
  await page.getByLabel('Given name').fill(given);
  await page.getByLabel('Family name').fill(family);
  await page.getByRole('button', { name: 'Add patient' }).click();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: new RegExp(`${family}, ${given}`) }).waitFor();
}

const lockedHeading = (page) => page.getByRole('heading', { name: 'Tend is locked' });

/** Submits a PIN on the lock screen and waits until the attempt is over (the field is cleared, or
 * gone: the last attempt erases the device and leaves the lock screen). */
async function tryPin(page, pin) {
  const field = page.getByLabel('PIN', { exact: true });
  await field.fill(pin);
  await page.getByRole('button', { name: 'Unlock' }).click();
  // A short read: the field can go between counting it and reading it, and a read that waits for
  // it to come back would use up the whole wait.
  await waitFor(
    async () => (await field.count()) === 0 || (await field.inputValue({ timeout: 500 })) === '',
    'the attempt to finish',
    30000,
  );
}

test('first run, "Lock" button, wrong PIN refused, right PIN restores the same screen with its data', async () => {
  const { context, page, errors } = await newApp();
  const problems = [];
  await page.getByRole('heading', { name: 'Protect patient data on this device' }).waitFor();
  await inspect(page, 'tablet', 'lock-first-run', problems);
  // Weak PINs are refused with a reason.
  await page.getByLabel('New PIN', { exact: true }).fill('123456');
  await page.getByLabel('Repeat new PIN', { exact: true }).fill('123456');
  await page.getByRole('button', { name: 'Set PIN' }).click();
  await page.getByRole('alert').filter({ hasText: 'straight run' }).waitFor();
  await setUpPin(page);

  await addPatient(page, 'Ada', 'Lockwood');
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: /Lockwood, Ada/ }).click();
  await page.getByRole('heading', { level: 1, name: /Lockwood/ }).waitFor();
  const chartUrl = page.url();

  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await lockedHeading(page).waitFor();
  assert.equal(await page.getByText('Lockwood').count(), 0, 'nothing of the patient stays on screen');
  await inspect(page, 'tablet', 'lock-locked', problems);

  await tryPin(page, '000000');
  await page.getByRole('alert').filter({ hasText: 'Wrong PIN' }).waitFor();
  assert.ok(await lockedHeading(page).isVisible(), 'still locked');

  await unlock(page);
  assert.equal(page.url(), chartUrl, 'back on the same screen');
  await page.getByRole('heading', { level: 1, name: /Lockwood/ }).waitFor();
  assert.deepEqual(problems, []);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the app locks itself after the idle time, also when it becomes visible again', async () => {
  const { context, page, errors } = await newApp({ clock: true });
  await setUpPin(page);
  await addPatient(page, 'Idle', 'Ingram');

  // Default: 5 minutes. Just under it nothing happens; past it the app locks.
  await page.clock.fastForward('04:30');
  assert.ok(await page.getByRole('button', { name: 'Lock', exact: true }).isVisible(), 'not locked before 5 minutes');
  await page.clock.fastForward('00:45');
  await lockedHeading(page).waitFor();
  await unlock(page);
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: /Ingram, Idle/ }).waitFor();

  // Settings: 1 minute. Activity (a key press) restarts the idle time.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByLabel('Lock automatically after').selectOption('1');
  await page.getByText('Tend now locks after 1 minute without use.').waitFor();
  await page.clock.fastForward('00:50');
  await page.keyboard.press('Shift');
  await page.clock.fastForward('00:50');
  assert.ok(await page.getByRole('button', { name: 'Lock', exact: true }).isVisible(), 'activity kept it open');
  // Past the minute the periodic check locks (it also runs when the page becomes visible again).
  await page.clock.fastForward('01:05');
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  await lockedHeading(page).waitFor();
  // The setting survives the lock.
  await unlock(page);
  assert.equal(await page.getByLabel('Lock automatically after').inputValue(), '1');
  assert.deepEqual(errors, []);
  await context.close();
});

test('"Change PIN" keeps the data and replaces the PIN', async () => {
  const { context, page, errors } = await newApp();
  await setUpPin(page);
  await addPatient(page, 'Pia', 'Pinchange');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  const newPin = '730264';
  await page.getByLabel('Current PIN').fill('999000');
  await page.getByLabel('New PIN', { exact: true }).fill(newPin);
  await page.getByLabel('Repeat new PIN', { exact: true }).fill(newPin);
  await page.getByRole('button', { name: 'Change PIN' }).click();
  await page.getByRole('alert').filter({ hasText: 'current PIN is wrong' }).waitFor();
  await page.getByLabel('Current PIN').fill(TEST_PIN);
  await page.getByRole('button', { name: 'Change PIN' }).click();
  await page.getByText('PIN changed.').waitFor();

  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await tryPin(page, TEST_PIN);
  await page.getByRole('alert').filter({ hasText: 'Wrong PIN' }).waitFor();
  await unlock(page, newPin);
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Caseload' }).click();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: /Pinchange, Pia/ }).waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('ten wrong PINs erase the device, with a warning before the last attempts', async () => {
  const { context, page, errors } = await newApp();
  await setUpPin(page);
  await addPatient(page, 'Wanda', 'Wipeout');
  await page.getByRole('button', { name: 'Lock', exact: true }).click();
  await lockedHeading(page).waitFor();

  for (let attempt = 1; attempt <= 6; attempt += 1) {
    await tryPin(page, '111112');
    const alert = await page.getByRole('alert').innerText();
    assert.match(alert, /Wrong PIN/);
    assert.doesNotMatch(alert, /erased/, `no warning yet after attempt ${attempt}`);
  }
  for (const remaining of ['3 attempts remain', '2 attempts remain', '1 attempt remains']) {
    await tryPin(page, '111112');
    const alert = await page.getByRole('alert').innerText();
    assert.match(alert, new RegExp(`Wrong PIN. ${remaining} before this device's Tend data is erased`));
  }
  await tryPin(page, '111112');
  await page.getByRole('alert').filter({ hasText: 'the Tend data on this device was erased' }).waitFor();
  await page.getByRole('heading', { name: 'Protect patient data on this device' }).waitFor();

  await setUpPin(page);
  await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
  assert.equal(await page.getByText('Wipeout').count(), 0, 'the patient is gone');
  assert.deepEqual(errors, []);
  await context.close();
});
