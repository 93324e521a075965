// FHIR R4 (issue 21): the chart's "Export FHIR" downloads a Bundle that an independent validator
// (fhir.resources 6.1.0, FHIR 4.0.1, installed by `cargo xtask setup`) accepts; the caseload exports
// every patient shown; importing a hospital's discharge Bundle (crates/fhir/tests/fixtures) shows
// what it adds, creates the patient with its stay, medications, conditions and allergy, and a
// second import of the same file adds nothing; a file that is not FHIR changes nothing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chartSection, newPatientChart, withRelayAndBrowser } from '../harness.mjs';
import { inspect, useForm } from './support.mjs';

let relay;
let browser;
withRelayAndBrowser((r, b) => { relay = r; browser = b; });

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const FIXTURE = `${ROOT}crates/fhir/tests/fixtures/ehr_discharge.json`;

/** The validator's Python: what `cargo xtask test` passes, else where `cargo xtask setup` puts it. */
function validatorPython() {
  if (process.env.TEND_FHIR_PYTHON) return process.env.TEND_FHIR_PYTHON;
  const tools = process.env.TEND_TOOLS_DIR ?? `${process.env.XDG_CACHE_HOME ?? `${homedir()}/.cache`}/tend/tools`;
  const python = `${tools}/fhir-resources-6.1.0/bin/python`;
  assert.ok(existsSync(python), `the FHIR validator is not installed at ${python}: run cargo xtask setup`);
  return python;
}

function validate(path) {
  const run = spawnSync(validatorPython(), [`${ROOT}scripts/validate_fhir.py`, path], { encoding: 'utf8' });
  return { ok: run.status === 0, text: `${run.stdout}${run.stderr}` };
}

async function download(page, click) {
  const downloading = page.waitForEvent('download');
  await click();
  const file = await downloading;
  const path = await file.path();
  return { name: file.suggestedFilename(), path, bundle: JSON.parse(await readFile(path, 'utf8')) };
}

const resources = (bundle, type) => bundle.entry.map((e) => e.resource).filter((r) => r.resourceType === type);
/** A medication's name as a FHIR resource gives it (text, else the first coding's display). */
const medName = (r) => r.medicationCodeableConcept?.text ?? r.medicationCodeableConcept?.coding?.[0]?.display;

test('a chart exports valid FHIR R4; a discharge bundle imports once, with a preview; the caseload exports', async () => {
  const { page, errors } = await newPatientChart(browser, relay, 'Rosa', 'Diaz');
  const problems = [];

  await chartSection(page, 'Conditions & medications');
  await useForm(page, page, 'Add condition', [['Condition', 'Heart failure'], ['ICD-10 code (optional)', 'I50.9']], 'Save condition', 'Condition added.');
  await useForm(page, page, 'Add medication', [['Medication', 'Furosemide'], ['Dose', '40 mg'], ['How often', 'daily']], 'Save medication', 'Medication added.');

  // The chart's export: a file named for the patient, holding what was recorded, valid FHIR R4.
  const chart = await download(page, () => page.getByRole('button', { name: 'Export FHIR' }).click());
  assert.match(chart.name, /^tend-diaz-rosa-\d{4}-\d{2}-\d{2}\.fhir\.json$/);
  assert.equal(chart.bundle.resourceType, 'Bundle');
  assert.equal(chart.bundle.type, 'collection');
  const [patient] = resources(chart.bundle, 'Patient');
  assert.equal(patient.name[0].family, 'Diaz');
  assert.deepEqual(patient.name[0].given, ['Rosa']);
  const condition = resources(chart.bundle, 'Condition').find((c) => c.code.text === 'Heart failure');
  assert.ok(condition, 'the condition is exported');
  assert.ok(condition.code.coding.some((c) => c.system === 'http://hl7.org/fhir/sid/icd-10-cm' && c.code === 'I50.9'));
  assert.ok(resources(chart.bundle, 'MedicationStatement').some((m) => medName(m) === 'Furosemide'));
  assert.ok(resources(chart.bundle, 'Provenance').length > 0, 'who recorded what travels with it');
  const verdict = validate(chart.path);
  assert.ok(verdict.ok && verdict.text.includes('valid FHIR R4'), verdict.text);

  // Importing the hospital's discharge bundle: the preview says what it adds, computed here from
  // the file itself.
  const fixture = JSON.parse(await readFile(FIXTURE, 'utf8'));
  const [incoming] = resources(fixture, 'Patient');
  const displayName = `${incoming.name[0].family}, ${incoming.name[0].given[0]}`;
  const meds = [...resources(fixture, 'MedicationRequest'), ...resources(fixture, 'MedicationStatement')].map(medName);
  assert.equal(meds.length, 3, 'the sample holds three medications');
  const conditions = resources(fixture, 'Condition').map((c) => c.code.text ?? c.code.coding[0].display);
  const stays = resources(fixture, 'Encounter').filter((e) => ['IMP', 'ACUTE'].includes(e.class?.code));
  assert.equal(stays.length, 1, 'the sample holds one hospital stay');
  const facility = stays[0].serviceProvider?.display ?? stays[0].location?.[0]?.location?.display;

  await page.getByRole('link', { name: 'Caseload' }).first().click();
  await page.getByRole('heading', { level: 1, name: 'Caseload' }).waitFor();
  const importFile = async (name, buffer) => {
    await page.getByRole('button', { name: 'Import FHIR', exact: true }).click();
    await page.getByLabel(/^FHIR file/).setInputFiles({ name, mimeType: 'application/fhir+json', buffer });
  };

  // Not FHIR at all: a clear error, nothing added.
  await importFile('notes.json', Buffer.from('{"resourceType":"Patient","name":[{"family":"X"}]}'));
  await page.getByRole('alert').filter({ hasText: 'This file cannot be imported: the file is not a FHIR Bundle' }).waitFor();
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'Nothing was imported' }).waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await page.getByRole('list', { name: 'Patients' }).getByRole('link').count(), 1);

  await importFile('discharge.json', await readFile(FIXTURE));
  const preview = page.getByRole('article', { name: `${displayName} — new patient` });
  await preview.waitFor();
  const newItems = preview.getByRole('list', { name: 'New items' });
  for (const med of meds) await newItems.getByRole('listitem').filter({ hasText: `Medication: ${med}` }).first().waitFor();
  for (const c of conditions) await newItems.getByRole('listitem').filter({ hasText: c }).first().waitFor();
  await newItems.getByRole('listitem').filter({ hasText: 'Hospital stay' }).first().waitFor();
  await inspect(page, 'tablet', 'fhir-import-preview', problems);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('status').filter({ hasText: 'FHIR file imported.' }).waitFor();
  await page.getByRole('list', { name: 'Patients' }).getByRole('link', { name: displayName }).waitFor();
  assert.equal(await page.getByRole('list', { name: 'Patients' }).getByRole('link').count(), 2);

  // The imported chart holds the medications, the conditions and the stay.
  await page.getByRole('list', { name: 'Imported' }).getByRole('link', { name: new RegExp(`^${displayName}: new patient`) }).click();
  await page.getByRole('heading', { level: 1, name: displayName }).waitFor();
  await chartSection(page, 'Conditions & medications');
  for (const med of meds) await page.getByText(med, { exact: false }).first().waitFor();
  for (const c of conditions) await page.getByText(c, { exact: false }).first().waitFor();
  await chartSection(page, 'Hospital & transitions');
  const pastStays = page.getByRole('list', { name: 'Hospital stays from other records' });
  await pastStays.getByRole('listitem').filter({ hasText: facility }).waitFor();
  assert.equal(await pastStays.getByRole('listitem').count(), 1);

  // The same file again: matched by MRN, nothing new, nothing added.
  await page.getByRole('link', { name: 'Caseload' }).first().click();
  await importFile('discharge.json', await readFile(FIXTURE));
  const again = page.getByRole('article', { name: `${displayName} — already on this device: adds to the chart` });
  await again.getByText(/^Nothing new: \d+ items are already recorded\.$/).waitFor();
  assert.equal(await again.getByRole('list', { name: 'New items' }).count(), 0);
  await page.getByRole('button', { name: 'Import', exact: true }).click();
  await page.getByRole('alert').filter({ hasText: 'Nothing new to import: everything in this file is already recorded.' }).waitFor();
  await page.getByRole('button', { name: 'Cancel' }).click();
  assert.equal(await page.getByRole('list', { name: 'Patients' }).getByRole('link').count(), 2);

  // The caseload's export: every patient shown, in one valid file.
  await page.getByRole('button', { name: 'Export FHIR' }).click();
  const all = await download(page, () => page.getByRole('button', { name: 'Download FHIR file (2 patients)' }).click());
  assert.match(all.name, /^tend-caseload-2-patients-\d{4}-\d{2}-\d{2}\.fhir\.json$/);
  const names = resources(all.bundle, 'Patient').map((p) => `${p.name[0].family}, ${p.name[0].given[0]}`).sort();
  assert.deepEqual(names, ['Diaz, Rosa', displayName].sort());
  assert.ok(resources(all.bundle, 'MedicationStatement').length >= 4, 'both patients\' medications');
  const caseload = validate(all.path);
  assert.ok(caseload.ok, caseload.text);
  await inspect(page, 'tablet', 'fhir-export', problems);

  // A selection: only the patients ticked.
  await page.getByRole('radio', { name: 'Choose patients' }).check();
  const choices = page.getByRole('group', { name: 'Patients to export' });
  await choices.getByRole('checkbox', { name: 'Diaz, Rosa' }).check();
  const one = await download(page, () => page.getByRole('button', { name: 'Download FHIR file (1 patient)' }).click());
  assert.match(one.name, /^tend-diaz-rosa-\d{4}-\d{2}-\d{2}\.fhir\.json$/);
  assert.deepEqual(resources(one.bundle, 'Patient').map((p) => p.name[0].family), ['Diaz']);

  assert.deepEqual(problems, []);
  assert.deepEqual(errors, []);
});
