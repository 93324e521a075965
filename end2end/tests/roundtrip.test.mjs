// The first real round trip: a patient created on the device is stored (Automerge document in
// IndexedDB), listed, still there after a reload, and their chart opens from the stored document.
// The caseload lives at /caseload; "/" is Today.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VIEWPORTS, openApp, openNewPatient, passLock, withRelayAndBrowser } from '../harness.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

test('a new patient is saved on the device, listed, and still there after a reload', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.tablet });
  const { page, errors } = await openApp(context, `${relay.url}/caseload`);

  await openNewPatient(page);

  await page.getByLabel('Given name').fill('Rosa');
  await page.getByLabel('Family name').fill('Diaz');
  await page.getByRole('button', { name: 'Add patient' }).click();

  const patients = page.getByRole('list', { name: 'Patients' });
  await patients.getByRole('link', { name: 'Diaz, Rosa' }).waitFor();
  await page.getByRole('status').filter({ hasText: /All changes saved on this device at/ }).waitFor();

  await page.reload();
  await passLock(page);
  await patients.getByRole('link', { name: 'Diaz, Rosa' }).waitFor();
  assert.equal(await patients.getByRole('listitem').count(), 1);

  await patients.getByRole('link', { name: 'Diaz, Rosa' }).click();
  await page.getByRole('heading', { level: 1, name: 'Diaz, Rosa' }).waitFor();
  assert.match(page.url(), /\/patients\/[0-9a-f-]{36}$/);

  // A deep link (what a bookmark or the relay's SPA fallback serves) opens the same chart.
  await page.goto(page.url());
  await passLock(page);
  await page.getByRole('heading', { level: 1, name: 'Diaz, Rosa' }).waitFor();

  // The home screen is Today; the caseload is one tap away in the main navigation.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Today' }).click();
  await page.getByRole('heading', { level: 1, name: 'Today' }).waitFor();
  assert.equal(new URL(page.url()).pathname, '/');

  assert.deepEqual(errors, []);
  await context.close();
});

test('an empty name is refused with a message, and nothing is stored', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.phone });
  const { page } = await openApp(context, `${relay.url}/caseload`);
  await openNewPatient(page);
  await page.getByRole('button', { name: 'Add patient' }).click();
  await page.getByRole('alert').filter({ hasText: "Enter the patient's name." }).waitFor();
  await page.reload();
  await passLock(page);
  await page.getByText('No patients on this device yet').waitFor();
  await context.close();
});
