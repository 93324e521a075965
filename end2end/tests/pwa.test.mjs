// The installable app: the service worker controls the page from the first visit (sw.js calls
// clients.claim() on activate, so no reload is needed), the app opens with no network (reload while
// offline, and a cold launch of a restarted browser with the relay gone), and a new build is offered
// by a banner that saves the edit in progress before switching and reloading once.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, VIEWPORTS, chartSection, launchBrowser, openNewPatient, startRelay, waitFor } from '../harness.mjs';
import * as support from './support.mjs';
import { axeViolations, smallTargets } from './support.mjs';

let browser;
const cleanups = [];

before(async () => {
  browser = await launchBrowser();
});

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await browser?.close();
});

async function relayForTest() {
  const relay = await startRelay();
  cleanups.push(() => relay.close());
  return relay;
}

/** Console errors and uncaught exceptions of `page` (CSP violations and 404s show up here). */
function watchErrors(page) {
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  return errors;
}

/**
 * Waits for the app after a (re)load: through the first-run PIN screen or the lock screen if the
 * device lock shows one (support.mjs's helpers), to the app's navigation.
 */
async function appReady(page) {
  const nav = page.getByRole('navigation', { name: 'Main' });
  const setUp = page.getByRole('heading', { name: 'Protect patient data on this device' });
  const locked = page.getByRole('heading', { name: 'Tend is locked' });
  await nav.or(setUp).or(locked).first().waitFor();
  if (await setUp.isVisible() && support.setUpPin) await support.setUpPin(page);
  else if (await locked.isVisible() && support.unlock) await support.unlock(page);
  await nav.waitFor();
}

/** A relay of its own and a fresh browser profile at tablet size, with the app open and ready. */
async function freshApp() {
  const relay = await relayForTest();
  const context = await browser.newContext({ viewport: VIEWPORTS.tablet });
  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(relay.url);
  await appReady(page);
  return { relay, context, page, errors };
}

async function controlledByWorker(page) {
  await waitFor(
    () => page.evaluate(() => navigator.serviceWorker.controller !== null),
    'the service worker to control the page',
  );
}

async function openSettings(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
  await page.getByRole('heading', { level: 1, name: 'Settings' }).waitFor();
}

async function openCaseload(page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Caseload' }).click();
  await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
}

async function addPatient(page, given, family) {
  await openCaseload(page);
  await openNewPatient(page);
  await page.getByLabel('Given name').fill(given);
  await page.getByLabel('Family name').fill(family);
  await page.getByRole('button', { name: 'Add patient' }).click();
  await patientLink(page, given, family).waitFor();
}

const patientLink = (page, given, family) =>
  page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: `${family}, ${given}` });

/** The version a build's index.html was stamped with by `cargo xtask build`. */
async function stampedVersion(dist) {
  const html = await readFile(join(dist, 'index.html'), 'utf8');
  const match = html.match(/<meta name="tend-build" content="([0-9a-f]+)">/);
  assert.ok(match, `${dist}/index.html is stamped with its build version`);
  return match[1];
}

test('the worker controls the page after the first load, and a reload offline shows the caseload', async () => {
  const { relay, context, page, errors } = await freshApp();
  await controlledByWorker(page);

  const manifest = page.locator('link[rel="manifest"]');
  assert.equal(await manifest.getAttribute('href'), '/manifest.webmanifest');
  assert.equal(await page.locator('script:not([src])').count(), 0, 'no inline scripts');

  await addPatient(page, 'Olive', 'Offline');
  await context.setOffline(true);
  await page.reload();
  await appReady(page);
  await openCaseload(page);
  await patientLink(page, 'Olive', 'Offline').waitFor();
  assert.deepEqual(errors, [], 'no console errors (CSP violations, 404s, exceptions)');
  await context.close();
});

test('a cold launch with no relay opens the app and its patients', async () => {
  const relay = await relayForTest();
  const profileDir = await mkdtemp(join(tmpdir(), 'tend-pwa-profile-'));
  cleanups.push(() => rm(profileDir, { recursive: true, force: true }));
  const launch = () => chromium.launchPersistentContext(profileDir, {
    executablePath: process.env.TEND_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
    viewport: VIEWPORTS.tablet,
  });

  let context = await launch();
  let page = context.pages()[0] ?? await context.newPage();
  await page.goto(relay.url);
  await appReady(page);
  await controlledByWorker(page);
  await addPatient(page, 'Cora', 'Coldstart');
  await context.close();
  await relay.stop();

  context = await launch();
  page = context.pages()[0] ?? await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${relay.url}/caseload`);
  await appReady(page);
  await openCaseload(page);
  await patientLink(page, 'Cora', 'Coldstart').waitFor();
  assert.deepEqual(errors, [], 'no console errors with the relay gone');
  await context.close();
});

test('a new build is offered, the edit in progress is saved, and the page reloads once into it', async () => {
  const nextDist = process.env.TEND_NEXT_DIST_DIR;
  assert.ok(nextDist, 'TEND_NEXT_DIST_DIR names the next build (cargo xtask test e2e makes it)');
  const [currentVersion, nextVersion] = await Promise.all([
    stampedVersion(process.env.TEND_DIST_DIR),
    stampedVersion(nextDist),
  ]);
  assert.notEqual(currentVersion, nextVersion);

  const { relay, context, page, errors } = await freshApp();
  await controlledByWorker(page);
  await openSettings(page);
  await page.getByText(currentVersion).waitFor();

  await addPatient(page, 'Uma', 'Update');
  await patientLink(page, 'Uma', 'Update').click();
  await page.getByRole('heading', { level: 1, name: 'Update, Uma' }).waitFor();
  await chartSection(page, 'Assessment');
  const note = page.getByLabel('Physical health');

  // The relay now serves the next build; the app looks for it when the care manager comes back
  // to it (a visibilitychange while visible).
  await relay.restart({ dist: nextDist });
  await page.evaluate(() => document.dispatchEvent(new Event('visibilitychange')));
  const banner = page.getByRole('region', { name: 'App update' });
  await banner.getByText('A new version of Tend is ready').waitFor({ timeout: 30000 });
  assert.equal(
    await page.evaluate(() => navigator.serviceWorker.getRegistration().then((r) => r?.waiting !== null)),
    true,
    'the new worker waits for the user',
  );

  const problems = [...await axeViolations(page, 'update banner'), ...await smallTargets(page, 'update banner')];
  assert.deepEqual(problems, [], 'the banner is accessible');

  // Typed just now: not yet sent (the editor waits for a pause) when "Update now" is pressed.
  await note.fill('Balance better since the new shoes.');
  let loads = 0;
  page.on('load', () => { loads += 1; });
  const reloaded = page.waitForEvent('load');
  await banner.getByRole('button', { name: 'Update now' }).click();
  await reloaded;
  await appReady(page);

  await openSettings(page);
  await page.getByText(nextVersion).waitFor();
  assert.equal(await page.getByText('A new version of Tend is ready').count(), 0, 'no banner after updating');
  await openCaseload(page);
  await patientLink(page, 'Uma', 'Update').click();
  await chartSection(page, 'Assessment');
  await waitFor(
    async () => (await page.getByLabel('Physical health').inputValue()) === 'Balance better since the new shoes.',
    'the note typed before updating to be there after it',
  );
  assert.equal(loads, 1, 'the page reloaded exactly once');
  assert.deepEqual(errors, [], 'no console errors');
  await context.close();
});

test('Settings offers the browser\'s install prompt, and Add-to-Home-Screen steps on an iPad', async () => {
  const { relay, context, page, errors } = await freshApp();
  await openSettings(page);
  const section = page.getByRole('region', { name: 'App on this device' });
  await section.getByText('Version').waitFor();
  // What Chromium does once the app is installable: the app keeps the offer for its own button.
  const prevented = await page.evaluate(() => {
    const offer = new Event('beforeinstallprompt', { cancelable: true });
    offer.prompt = async () => {};
    offer.userChoice = Promise.resolve({ outcome: 'accepted', platform: 'web' });
    window.dispatchEvent(offer);
    return offer.defaultPrevented;
  });
  assert.equal(prevented, true, 'the browser\'s own install bar is held back');
  await section.getByRole('button', { name: 'Install Tend' }).click();
  await section.getByText('Tend is installed on this device').waitFor();
  assert.deepEqual(errors, []);
  await context.close();

  const ipad = await browser.newContext({
    viewport: { width: 1024, height: 1366 },
    userAgent: 'Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  });
  const ipadPage = await ipad.newPage();
  await ipadPage.goto(relay.url);
  await appReady(ipadPage);
  await openSettings(ipadPage);
  const ipadSection = ipadPage.getByRole('region', { name: 'App on this device' });
  await ipadSection.getByText(/Safari may erase this site's data.*after 7 days without use unless Tend is added to the Home Screen/).waitFor();
  await ipadSection.getByRole('listitem').filter({ hasText: 'Add to Home Screen' }).waitFor();
  assert.deepEqual(await axeViolations(ipadPage, 'install steps'), []);
  await ipad.close();
});

test('a build that upgrades storage says it waits for the older tabs, then opens once they close', async () => {
  const relay = await relayForTest();
  const context = await browser.newContext({ viewport: VIEWPORTS.tablet });
  // An "older build" in another tab: holds the database open at an older version and, like the
  // builds before this one, does not close it when a newer version asks.
  const older = await context.newPage();
  await older.goto(`${relay.url}/manifest.webmanifest`);
  await older.evaluate(() => new Promise((resolve, reject) => {
    const req = indexedDB.open('tend', 2);
    req.onsuccess = () => { window.olderTabDb = req.result; resolve(); };
    req.onerror = () => reject(req.error);
  }));

  const page = await context.newPage();
  const errors = watchErrors(page);
  await page.goto(`${relay.url}/caseload`);
  const waiting = page.getByRole('heading', { name: 'Opening Tend is taking longer than usual' });
  await waiting.waitFor({ timeout: 30000 });
  await page.getByRole('status').filter({ hasText: 'If Tend is open in another tab or window, close it there' }).waitFor();
  assert.deepEqual(await axeViolations(page, 'storage-waiting'), []);

  await older.evaluate(() => window.olderTabDb.close());
  await support.setUpPin(page);
  assert.equal(await waiting.count(), 0, 'the notice is gone once storage opened');
  assert.deepEqual(errors, []);
  await context.close();
});
