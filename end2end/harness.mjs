// Test harness: starts a relay (serving the freshly built app) on a free port, and launches
// Debian's Chromium through playwright-core. Never downloads a browser.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';
import { setUpPin, unlock } from './tests/support.mjs';

const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the end-to-end tests with \`cargo xtask test e2e\``);
  return value;
};

export const CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** Polls `check` until it returns true; fails with `what` (or what `what()` says then) after `timeoutMs`. */
export async function waitFor(check, what, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch (e) {
      lastError = e;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  const said = typeof what === 'function' ? what() : what;
  throw new Error(`timed out waiting for ${said}${lastError ? `: ${lastError.message}` : ''}`);
}

/**
 * A relay process with its own data directory; `restart()` keeps the data. `restart({ dist })`
 * serves another build on the same port (the update test's "next" version).
 */
export async function startRelay() {
  const bin = required('TEND_RELAY_BIN');
  let dist = required('TEND_DIST_DIR');
  const dataDir = await mkdtemp(join(tmpdir(), 'tend-e2e-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let child;
  let output = '';

  const launch = async () => {
    child = spawn(bin, ['--addr', `127.0.0.1:${port}`, '--data-dir', dataDir, '--static-dir', dist], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    const exited = new Promise((resolve) => child.once('exit', resolve));
    await waitFor(async () => {
      if (child.exitCode !== null) throw new Error(`relay exited early:\n${output}`);
      const res = await fetch(`${url}/api/health`);
      return res.ok;
    }, 'the relay to answer /api/health', 30000);
    child.exited = exited;
  };

  const stop = async (signal = 'SIGTERM') => {
    if (child && child.exitCode === null) {
      child.kill(signal);
      await child.exited;
    }
  };

  await launch();
  return {
    url,
    dataDir,
    output: () => output,
    stop,
    restart: async (next = {}) => {
      await stop();
      if (next.dist) dist = next.dist;
      await launch();
    },
    close: async () => { await stop(); await rm(dataDir, { recursive: true, force: true }); },
  };
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.TEND_CHROMIUM || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
}

export const VIEWPORTS = {
  tablet: { width: 1024, height: 768 },
  tabletLarge: { width: 1366, height: 1024 },
  phone: { width: 390, height: 844 },
};

/** A page whose console errors and uncaught exceptions fail the test that reads them. */
export async function openApp(context, url, person) {
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  await page.goto(url);
  await passLock(page, person);
  await page.getByRole('heading', { name: 'Caseload' }).waitFor();
  return { page, errors };
}

/**
 * The device lock after a navigation: sets the test PIN on a fresh profile (first-run screen, then
 * "who is using this device?" answered as `person`, by default support.mjs's TEST_PERSON) or
 * unlocks (a reload, a new tab or a cold launch starts locked: the key lives only in memory).
 */
export async function passLock(page, person) {
  const firstRun = page.getByRole('heading', { name: 'Protect patient data on this device' });
  const locked = page.getByRole('heading', { name: 'Tend is locked' });
  const unlocked = page.getByRole('button', { name: 'Lock', exact: true });
  await firstRun.or(locked).or(unlocked).first().waitFor({ timeout: 30000 });
  if (await firstRun.isVisible()) await setUpPin(page, undefined, person);
  else if (await locked.isVisible()) await unlock(page);
}

/** One relay and one browser for a test file: started before its tests, closed after them. */
export function withRelayAndBrowser(use) {
  let relay;
  let browser;
  before(async () => {
    relay = await startRelay();
    browser = await launchBrowser();
    use(relay, browser);
  });
  after(async () => {
    await browser?.close();
    await relay?.close();
  });
}

/** Opens the caseload's "New patient" form unless it is already open (it stays open after adding). */
export async function openNewPatient(page) {
  const given = page.getByLabel('Given name');
  if (await given.isVisible()) return;
  await page.getByRole('button', { name: 'New patient' }).click();
  await given.waitFor();
}

/**
 * Opens a chart section by its link in "Chart sections". On a phone the list opens from the
 * current section's name ("Section: Overview") first, as a person would.
 */
export async function chartSection(page, name) {
  const nav = page.getByRole('navigation', { name: 'Chart sections' });
  const link = nav.getByRole('link', { name, exact: true });
  const toggle = nav.getByRole('button', { name: /^Section:/ });
  if (!(await link.isVisible()) && (await toggle.isVisible())) await toggle.click();
  await link.click();
}

/**
 * A fresh device at tablet size (PIN set, the test person) with a new patient's chart open; page
 * errors are collected in `errors` for the test to assert empty. `beforeOpen(context)` runs before
 * the first page opens (e.g. to install Playwright's clock).
 */
export async function newPatientChart(browser, relay, given, family, { beforeOpen } = {}) {
  const context = await browser.newContext({ viewport: VIEWPORTS.tablet });
  if (beforeOpen) await beforeOpen(context);
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${relay.url}/caseload`);
  await passLock(page);
  await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
  await openNewPatient(page);
  await page.getByLabel('Given name').fill(given);
  await page.getByLabel('Family name').fill(family);
  await page.getByRole('button', { name: 'Add patient' }).click();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: `${family}, ${given}` }).click();
  await page.getByRole('heading', { level: 1, name: `${family}, ${given}` }).waitFor();
  return { context, page, errors };
}
