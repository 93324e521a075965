// The peer of `cargo xtask bench sync` (issue 18): automerge-repo 2.5.x on the same workload, in
// the same run, measured with the shared peer benchmark's own harness (the files next to this one
// are its copy: bench-sync.mjs, bench-local.mjs, lib.mjs, server.mjs, build.mjs, src/; see its
// README in the project's shared folder). Prints ONE JSON object on stdout; progress on stderr.
//
// - sync (bench-sync.mjs, unchanged): per round a fresh Node sync server and fresh contexts A and
//   B; A creates 200 docs × 200 changes; B fetches them all (the new device: `bInitialFetch_ms`,
//   Promise.all(repo.find) of the 200 URLs); B goes offline (socket closed too); A makes 25 changes
//   to each doc; B back online until every doc has A's heads (`reconnectToCaughtUp_ms` from the
//   server's handshake reply, `onlineToCaughtUp_ms` from going online, incl. the 1 s retry tick);
//   bytes = WebSocket payloads counted in the server.
// - memory: bench-local.mjs seeds N docs × 200 changes into a persistent profile; a page reload
//   then loads all N (the cold-load mode, as the peer's caseload needs every doc) and the page's
//   memory is measured like Tend's (../memory.mjs: forced GC, every WebAssembly.Memory + JS heap).
//
// Options: --reps=2 --docs=200 --per-doc=25 --memory-docs=2000 --skip-sync --skip-memory --port=0
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from './build.mjs';
import { serveDist, launchPersistent, runAutoMode } from './lib.mjs';
import { seedProfile } from './bench-local.mjs';
import { syncBench } from './bench-sync.mjs';
import { noteWasmMemories, pageMemory } from '../memory.mjs';

// The harness logs progress with console.log; stdout carries only the result.
console.log = (...a) => console.error(...a);
process.chdir(new URL('.', import.meta.url).pathname);
const arg = (k, d) => {
  const a = process.argv.find((x) => x === `--${k}` || x.startsWith(`--${k}=`));
  return a === undefined ? d : a.includes('=') ? a.split('=').slice(1).join('=') : true;
};
const reps = Number(arg('reps', 2));
const docs = Number(arg('docs', 200));
const perDoc = Number(arg('per-doc', 25));
const memoryDocs = Number(arg('memory-docs', 2000));

await build();
const http = await serveDist(Number(arg('port', 0)));
const origin = `http://127.0.0.1:${http.address().port}`;
const scratch = await mkdtemp(join(tmpdir(), 'tend-bench-peer-'));
const out = { packages: {} };
try {
  for (const p of ['@automerge/automerge-repo', '@automerge/automerge', 'playwright-core']) {
    out.packages[p] = JSON.parse(readFileSync(`node_modules/${p}/package.json`, 'utf8')).version;
  }
  if (!arg('skip-sync')) {
    console.error(`peer sync: ${docs} docs, ${perDoc} changes/doc, x${reps}`);
    out.sync = await syncBench({ origin, docs, perDoc, reps });
  }
  if (!arg('skip-memory')) {
    const profile = join(scratch, 'profile');
    out.seed = await seedProfile({ origin, profile, n: memoryDocs });
    const context = await launchPersistent(profile);
    await context.addInitScript(noteWasmMemories);
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      await page.goto(`${origin}/index.html?mode=idle`); // the process warmed once, as "page reload"
      const all = await runAutoMode(page, `${origin}/index.html?mode=cold-all`);
      if (all.n !== memoryDocs) throw new Error(`cold-all loaded ${all.n} docs, expected ${memoryDocs}`);
      out.memory = { docs: memoryDocs, loadAllMs: all.T.caseloadBuilt, pageSays: all.mem, ...(await pageMemory(context, page)) };
      console.error(`peer memory: ${(out.memory.totalBytes / 2 ** 20).toFixed(1)} MiB with ${memoryDocs} docs loaded`);
    } finally {
      await context.close();
    }
  }
} finally {
  http.close();
  await rm(scratch, { recursive: true, force: true });
}
process.stdout.write(`${JSON.stringify(out)}\n`);
