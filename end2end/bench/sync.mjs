// Browser sync benchmark (issue 18), run by `cargo xtask bench sync`: the real release app in
// headless Debian Chromium against a real relay (release binary) on loopback, driven as a person
// would (labels, roles, texts). Device A is the native seeder (crates/core/examples/sync_seed.rs):
// it fills a workspace through the relay's API and hands over a join code. Prints ONE JSON object
// on stdout (read by xtask); progress goes to stderr.
//
// Per round (fresh workspace, fresh incognito context = in-memory IndexedDB, like the peer's B):
//  (b) new device: A seeds 200 patients with a year of history (one chunk per change); B sets its
//      PIN, says who it is, joins with the code in Settings. Timed from the click on "Join
//      workspace" until the status says "Synced: up to date" (every page pulled, decrypted, merged
//      and committed to IndexedDB); then "200 patients" on the caseload is checked.
//  (a) catch-up: B goes offline (setOffline + the app closes its socket on `offline`, checked); A
//      makes 25 changes to each patient (5,000 chunks); B goes online. Timed from the page's
//      `online` event until "Synced: up to date"; also until the caseload (on screen) has stopped
//      saying it is updating rows with those changes; then charts of three patients must show the
//      dose A wrote last for them.
//  (c) bytes: CDP Network events of B's page during (a) and (b): every /api response's
//      encodedDataLength (HTTP headers + body as received) and WebSocket frame payloads.
// Once, in a persistent profile (on disk):
//  (d) memory: PIN set, reload + unlock on an empty device (the baseline); join a workspace of 2,000
//      patients (one chunk per patient), reload, unlock, wait for "2000 patients", open 20 charts.
//      After a forced GC: wasm linear memory (noted by an init script as the page instantiates its
//      wasm, so no hook in the app; ./memory.mjs) + JS heap used (CDP Runtime.getHeapUsage).
//
// Env: TEND_RELAY_BIN, TEND_DIST_DIR, TEND_SEED_BIN (required); TEND_SEED_CACHE; TEND_CHROMIUM; BENCH_SYNC_REPS (2);
// BENCH_SYNC_MEMORY_PATIENTS (2000); BENCH_SYNC_SKIP_MEMORY=1.
import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, freePort, waitFor } from '../harness.mjs';
import { setUpPin, unlock } from '../tests/support.mjs';
import { noteWasmMemories, pageMemory } from './memory.mjs';

const required = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run this with \`cargo xtask bench sync\``);
  return value;
};
const RELAY_BIN = required('TEND_RELAY_BIN');
const DIST = required('TEND_DIST_DIR');
const SEED_BIN = required('TEND_SEED_BIN');
// Where the seeder keeps the patients it built (they take ~0.2 s of CPU each); optional.
const SEED_CACHE = process.env.TEND_SEED_CACHE ? ['--cache', process.env.TEND_SEED_CACHE] : [];
const CHROMIUM = process.env.TEND_CHROMIUM || '/usr/bin/chromium';
const REPS = Number(process.env.BENCH_SYNC_REPS || 2);
const MEMORY_PATIENTS = Number(process.env.BENCH_SYNC_MEMORY_PATIENTS || 2000);
const CHARTS = 20;
const LONG = 15 * 60_000; // the longest wait for one step before the bench fails
const log = (...a) => console.error('bench sync:', ...a);
const run = promisify(execFile);

/** A relay on a free port with its own data dir; rate limits raised above the bench's load. */
async function startRelay(scratch) {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawn(RELAY_BIN, [
    '--addr', `127.0.0.1:${port}`, '--data-dir', join(scratch, 'relay'), '--static-dir', DIST,
    '--rate-per-ip', '1000000', '--rate-per-workspace', '1000000', '--creates-per-ip-per-hour', '1000',
    '--joins-per-minute', '1000',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  let output = '';
  child.stderr.on('data', (d) => { output = (output + d).slice(-4000); });
  await waitFor(async () => {
    if (child.exitCode !== null) throw new Error(`relay exited early:\n${output}`);
    return (await fetch(`${url}/api/health`)).ok;
  }, 'the relay to answer /api/health', 30000);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { url, stop: async () => { if (child.exitCode === null) { child.kill('SIGTERM'); await exited; } } };
}

/** Device A: one command of the native seeder; returns its JSON. */
async function seed(args) {
  const { stdout, stderr } = await run(SEED_BIN, [...args, ...SEED_CACHE], { maxBuffer: 64 << 20, timeout: LONG });
  if (stderr.trim()) log(stderr.trim());
  return JSON.parse(stdout);
}

/** Counts what crosses B's network while armed: /api responses and WebSocket frames. */
async function byteCounter(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const api = new Set();
  const zero = () => ({ responses: 0, responseBytes: 0, requestBodyBytes: 0, wsInBytes: 0, wsOutBytes: 0, wsIn: 0, wsOut: 0 });
  let c = zero();
  cdp.on('Network.requestWillBeSent', (e) => {
    if (new URL(e.request.url).pathname.startsWith('/api/')) {
      api.add(e.requestId);
      c.requestBodyBytes += e.request.postData?.length ?? 0;
    }
  });
  cdp.on('Network.loadingFinished', (e) => {
    if (api.delete(e.requestId)) { c.responses += 1; c.responseBytes += e.encodedDataLength; }
  });
  cdp.on('Network.webSocketFrameReceived', (e) => { c.wsIn += 1; c.wsInBytes += Buffer.byteLength(e.response.payloadData); });
  cdp.on('Network.webSocketFrameSent', (e) => { c.wsOut += 1; c.wsOutBytes += Buffer.byteLength(e.response.payloadData); });
  return { reset: () => { c = zero(); }, read: () => ({ ...c, toB: c.responseBytes + c.wsInBytes }) };
}

/**
 * In the page: records (page clock) when the measured step starts — the click on "Join workspace"
 * or the `online` event — and the first "Synced: up to date" after it; then, once the caseload
 * has said it is "updating … with changes from other devices", when it stops saying so (every
 * patient's row brought up to date: `settledAt`).
 */
async function armProbe(page, start) {
  await page.evaluate((start) => {
    const status = () => document.querySelector('[data-testid="sync-status"]')?.textContent ?? '';
    const probe = { startAt: null, doneAt: null, sawUpdating: false, settledAt: null };
    window.__tendBench = probe;
    const updating = () => /updating \d+ with changes from other devices/.test(document.body.textContent ?? '');
    const check = () => {
      if (probe.startAt !== null && probe.doneAt === null && /Synced: up to date/.test(status())) {
        probe.doneAt = performance.now();
      }
      if (probe.startAt === null || probe.settledAt !== null) return;
      if (updating()) probe.sawUpdating = true;
      else if (probe.sawUpdating && probe.doneAt !== null) probe.settledAt = performance.now();
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
    if (start === 'online') {
      window.addEventListener('online', () => { probe.startAt ??= performance.now(); }, { once: true });
    } else {
      document.addEventListener('click', (e) => {
        if (e.target.closest('button')?.textContent.trim() === start) probe.startAt ??= performance.now();
      }, { capture: true });
    }
  }, start);
}

async function probeResult(page) {
  await page.waitForFunction(() => window.__tendBench?.doneAt != null, null, { timeout: LONG, polling: 50 });
  const p = await page.evaluate(() => window.__tendBench);
  return p.doneAt - p.startAt;
}

/** From the start until every caseload row was up to date (the probe saw "updating" end). */
async function settledResult(page) {
  await page.waitForFunction(() => window.__tendBench?.settledAt != null, null, { timeout: LONG, polling: 50 });
  const p = await page.evaluate(() => window.__tendBench);
  return p.settledAt - p.startAt;
}

const syncStatus = (page) => page.getByTestId('sync-status');
const nav = (page, name) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name }).click();

async function goSettings(page) {
  await nav(page, 'Settings');
  await page.getByRole('heading', { level: 2, name: 'Sync between devices' }).waitFor();
}

async function goCaseload(page) {
  await nav(page, 'Caseload');
  await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
}

/** The caseload says it lists `n` patients. */
async function expectPatients(page, n) {
  await goCaseload(page);
  await page.getByText(`${n} patients`, { exact: true }).waitFor({ timeout: LONG });
}

async function openChart(page, name, section) {
  await goCaseload(page);
  await page.getByLabel('Search patients').fill(name.split(',')[0]);
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: new RegExp(name) }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor({ timeout: 60000 });
  if (section) {
    await page.getByRole('navigation', { name: 'Chart sections' }).getByRole('link', { name: section, exact: true }).click();
    await page.locator('.chart-nav a[aria-current="page"]', { hasText: section }).waitFor();
  }
}

async function joinWith(page, code) {
  await goSettings(page);
  await page.getByLabel('Join code', { exact: true }).fill(code);
  await page.getByRole('button', { name: 'Join workspace' }).click();
}

/** A fresh device with its PIN set and its person named; console errors are collected. */
async function freshDevice(context, url) {
  const page = context.pages()[0] ?? await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(url);
  await setUpPin(page);
  return { page, errors };
}

async function oneRound(browser, relay, scratch, rep) {
  const state = join(scratch, `state-${rep}`);
  log(`round ${rep + 1}: device A seeds the workspace`);
  const created = await seed(['create', '--relay', relay.url, '--state', state, '--seed', String(18 + rep)]);
  const context = await browser.newContext({ viewport: { width: 1024, height: 768 } });
  const { page, errors } = await freshDevice(context, `${relay.url}/caseload`);
  const sockets = [];
  page.on('websocket', (ws) => sockets.push(ws));
  const bytes = await byteCounter(context, page);

  // (b) a new device joins.
  await armProbe(page, 'Join workspace');
  bytes.reset();
  await joinWith(page, created.join_code);
  const newDeviceMs = await probeResult(page);
  const newDeviceBytes = bytes.read();
  // Listed at once (each snapshot carries its patient's summary)...
  await goCaseload(page);
  await page.getByText(new RegExp(`^${created.patients} patients`)).waitFor({ timeout: LONG });
  // ...and each row recomputed from its document in the background. B is left idle before the
  // catch-up is measured.
  const newDeviceSettledMs = await settledResult(page);
  await expectPatients(page, created.patients);

  // (a) B offline, A edits, B online.
  await context.setOffline(true);
  await syncStatus(page).filter({ hasText: /^Offline/ }).waitFor();
  await waitFor(async () => sockets.every((ws) => ws.isClosed()), "B's WebSocket to close");
  log(`round ${rep + 1}: B offline; device A makes its changes`);
  const edited = await seed(['edit', '--state', state, '--round', '0']);
  await armProbe(page, 'online');
  bytes.reset();
  await context.setOffline(false);
  const catchUpMs = await probeResult(page);
  const catchUpSettledMs = await settledResult(page);
  const catchUpBytes = bytes.read();
  for (const s of edited.samples) {
    await openChart(page, s.name, 'Conditions & medications');
    await page.getByRole('list', { name: 'Current medications' }).getByText(s.medication).waitFor({ timeout: 30000 });
  }
  const unexpected = errors.filter((e) => !/ERR_INTERNET_DISCONNECTED|WebSocket/.test(e));
  if (unexpected.length) throw new Error(`page errors: ${unexpected.join('; ')}`);
  await context.close();
  log(`round ${rep + 1}: new device ${newDeviceMs.toFixed(0)} ms (${created.chunks} chunks, ${created.snapshots} snapshots; rows settled after ${newDeviceSettledMs.toFixed(0)} ms), catch-up ${catchUpMs.toFixed(0)} ms (${edited.chunks} chunks), caseload up to date after ${catchUpSettledMs.toFixed(0)} ms`);
  // The join codes' secrets and the name lists stay out of the report.
  return {
    newDeviceMs, newDeviceSettledMs, newDeviceBytes, catchUpMs, catchUpSettledMs, catchUpBytes,
    created: { ...created, join_code: undefined, first_names: undefined }, edited: { ...edited, samples: undefined },
  };
}

async function memoryRun(relay, scratch) {
  log(`memory: device A seeds ${MEMORY_PATIENTS} patients`);
  const created = await seed(['create', '--relay', relay.url, '--state', join(scratch, 'state-memory'),
    '--patients', String(MEMORY_PATIENTS), '--seed', '99', '--whole']);
  const context = await chromium.launchPersistentContext(join(scratch, 'profile'), {
    executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: { width: 1024, height: 768 },
  });
  await context.addInitScript(noteWasmMemories);
  try {
    const { page } = await freshDevice(context, `${relay.url}/caseload`);
    await page.reload();
    await unlock(page);
    await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
    const empty = await pageMemory(context, page);
    const t = Date.now();
    await joinWith(page, created.join_code);
    await syncStatus(page).filter({ hasText: /Synced: up to date/ }).waitFor({ timeout: LONG });
    const syncedS = (Date.now() - t) / 1000;
    await expectPatients(page, MEMORY_PATIENTS);
    await page.reload();
    await unlock(page);
    await expectPatients(page, MEMORY_PATIENTS);
    for (const name of created.first_names.slice(0, CHARTS)) await openChart(page, name);
    await goCaseload(page);
    const loaded = await pageMemory(context, page);
    log(`memory: ${(loaded.totalBytes / 2 ** 20).toFixed(1)} MiB with ${MEMORY_PATIENTS} patients and ${CHARTS} charts opened (empty device ${(empty.totalBytes / 2 ** 20).toFixed(1)} MiB)`);
    return { patients: MEMORY_PATIENTS, charts: CHARTS, loaded, empty, joinSyncS: syncedS, seed: { ...created, join_code: undefined, first_names: undefined, sample_names: undefined } };
  } finally {
    await context.close();
  }
}

const scratch = await mkdtemp(join(tmpdir(), 'tend-bench-sync-'));
let relay;
let browser;
try {
  relay = await startRelay(scratch);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  const chromiumVersion = browser.version();
  const rounds = [];
  for (let rep = 0; rep < REPS; rep++) rounds.push(await oneRound(browser, relay, scratch, rep));
  await browser.close();
  browser = null;
  const mem = process.env.BENCH_SYNC_SKIP_MEMORY === '1' ? null : await memoryRun(relay, scratch);
  process.stdout.write(`${JSON.stringify({ chromium: chromiumVersion, reps: REPS, rounds, memory: mem })}\n`);
} finally {
  await browser?.close();
  await relay?.stop();
  await rm(scratch, { recursive: true, force: true });
}
