// Two tabs of Tend on one device, editing the same patient: both edits are kept, and each tab
// shows the other's edit without a reload (the tabs tell each other through a BroadcastChannel).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { passLock, VIEWPORTS, withRelayAndBrowser } from '../harness.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

async function openSection(page, name) {
  await page.getByRole('navigation', { name: 'Chart sections' }).getByRole('link', { name, exact: true }).click();
  await page.locator('.chart-nav a[aria-current="page"]', { hasText: name }).waitFor();
}

test('two tabs editing one patient keep both edits', async () => {
  const context = await browser.newContext({ viewport: VIEWPORTS.tablet });
  const first = await context.newPage();
  await first.goto(`${relay.url}/caseload`);
  await passLock(first);
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
