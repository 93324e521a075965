// Device storage durability, as a care manager would meet it: the browser is closed in the middle of
// a burst of edits, and every edit the app reported as saved is still there when it opens again.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, VIEWPORTS, openNewPatient, passLock, startRelay } from '../harness.mjs';

let relay;
let profileDir;

before(async () => {
  relay = await startRelay();
  profileDir = await mkdtemp(join(tmpdir(), 'tend-profile-'));
});

after(async () => {
  await relay?.close();
  if (profileDir) await rm(profileDir, { recursive: true, force: true });
});

const launch = () => chromium.launchPersistentContext(profileDir, {
  executablePath: process.env.TEND_CHROMIUM || '/usr/bin/chromium',
  args: CHROMIUM_ARGS,
  viewport: VIEWPORTS.tablet,
});

async function openCaseload(context) {
  const page = context.pages()[0] ?? await context.newPage();
  await page.goto(`${relay.url}/caseload`);
  await passLock(page);
  await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
  return page;
}

const listedNames = (page) => page.getByRole('list', { name: 'Patients' }).getByRole('link').allInnerTexts();

test('closing the browser mid-burst loses no edit that was reported saved', async () => {
  let context = await launch();
  let page = await openCaseload(context);
  await openNewPatient(page);
  const given = page.getByLabel('Given name');
  const family = page.getByLabel('Family name');

  for (let i = 0; i < 25; i += 1) {
    await given.fill(`Burst${String(i).padStart(2, '0')}`);
    await family.fill('Patient');
    await page.getByRole('button', { name: 'Add patient' }).click();
    // The app lists a patient only once its IndexedDB transaction committed ("reported saved").
    await page.getByRole('list', { name: 'Patients' })
      .getByRole('link', { name: `Patient, Burst${String(i).padStart(2, '0')}` }).waitFor();
  }
  // One more edit in flight, then the browser goes away without warning.
  await given.fill('InFlight');
  await family.fill('Patient');
  await page.getByRole('button', { name: 'Add patient' }).click();
  const savedBeforeClose = (await listedNames(page)).map((t) => t.trim());
  await context.close();

  assert.ok(savedBeforeClose.length >= 25, `at least the 25 confirmed patients were listed: ${savedBeforeClose.length}`);

  context = await launch();
  page = await openCaseload(context);
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: 'Patient, Burst24' }).waitFor();
  const afterReopen = new Set((await listedNames(page)).map((t) => t.trim()));
  for (const name of savedBeforeClose) {
    assert.ok(afterReopen.has(name), `${name} was reported saved before the browser closed, and is still there`);
  }
  await context.close();
});
