// Measurement 3: offline catch-up. Node sync server <-> browser contexts A and B over loopback.
import { launchBrowser, pipeConsole, startSyncServer, stats, sameHeads, sleep } from "./lib.mjs";

const RETRY_MS = 1000; // B's WebSocketClientAdapter retry interval (library default is 5000)

async function waitServerHas(sync, urls, expected, timeoutMs = 300_000) {
  const t0 = Date.now();
  for (;;) {
    const { heads } = await sync.ask({ type: "heads", urls });
    if (heads.every((h, i) => sameHeads(h, expected[i]))) return Date.now() - t0;
    if (Date.now() - t0 > timeoutMs) throw new Error("server never caught up with A");
    await sleep(20);
  }
}

async function openPeer(browser, origin, sync, tag) {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  pipeConsole(page, tag);
  await page.goto(`${origin}/index.html?mode=idle`);
  await page.waitForFunction(() => window.__ready === true);
  await page.evaluate(([u, r]) => window.bench.syncInit(u, r), [`ws://127.0.0.1:${sync.port}/?peer=${tag}`, RETRY_MS]);
  return { ctx, page };
}

async function oneRound({ browser, origin, sync, docs, perDoc, rep }) {
  const A = await openPeer(browser, origin, sync, "A");
  const B = await openPeer(browser, origin, sync, "B");
  const r = { rep };

  // A creates the patients (200 changes each); wait until the server holds them.
  const created = await A.page.evaluate(([n, s]) => window.bench.syncCreate(n, s), [docs, 500_000]);
  r.aCreate_ms = created.ms;
  const urls = created.urls;
  let aHeads = await A.page.evaluate(() => window.bench.heads());
  r.serverHasCreated_ms = await waitServerHas(sync, urls, aHeads);

  // B fetches all of them from the server (initial sync, not the catch-up being measured).
  r.bInitialFetch_ms = (await B.page.evaluate(u => window.bench.syncFind(u), urls)).ms;
  r.bInitialFetchBytesServerToB = (await sync.ask({ type: "bytes" })).bytes.B?.out ?? 0; // (Tend's copy: added)
  const bHeads0 = await B.page.evaluate(() => window.bench.heads());
  if (!bHeads0.every((h, i) => sameHeads(h, aHeads[i]))) throw new Error("B not in sync after initial fetch");
  await sleep(500); // let trailing sync/save traffic settle

  // B goes offline. Chromium's offline emulation does NOT close an open WebSocket (it stays OPEN and
  // frames are held back until online), so we also close B's socket; reconnect attempts then fail
  // with ERR_INTERNET_DISCONNECTED until B is back online.
  await B.ctx.setOffline(true);
  await B.page.evaluate(() => window.bench.closeSocket());
  await sleep(300);

  // A makes perDoc changes to every doc (docs * perDoc total); server receives them.
  const bytesBefore = (await sync.ask({ type: "bytes" })).bytes;
  const edit = await A.page.evaluate(([k, s]) => window.bench.syncEdit(k, s), [perDoc, 900_000 + rep * 100_000]);
  r.aEditChanges = edit.changes;
  r.aEdit_ms = edit.ms;
  aHeads = await A.page.evaluate(() => window.bench.heads());
  r.serverHasEdits_ms = await waitServerHas(sync, urls, aHeads);
  const bytesMid = (await sync.ask({ type: "bytes" })).bytes;
  r.aUploadBytes = bytesMid.A.in - (bytesBefore.A?.in ?? 0);
  r.bytesToBWhileOffline = (bytesMid.B?.out ?? 0) - (bytesBefore.B?.out ?? 0);
  r.bReceivedWhileOffline = (await B.page.evaluate(() => window.bench.heads())).filter((h, i) => sameHeads(h, aHeads[i])).length;

  // B comes back online; the adapter reconnects on its next retry tick, then syncs every doc.
  await sync.ask({ type: "reset-bytes" });
  r.pendingDocs = await B.page.evaluate(h => window.bench.armCatchup(h), aHeads);
  await B.ctx.setOffline(false);
  await B.page.evaluate(() => window.bench.markOnline());
  const c = await B.page.evaluate(() => window.bench.catchup());
  r.onlineToCaughtUp_ms = c.doneAt - c.onlineAt;
  r.reconnectToCaughtUp_ms = c.peerAt != null ? c.doneAt - c.peerAt : null;
  r.onlineToReconnect_ms = c.peerAt != null ? c.peerAt - c.onlineAt : null;
  await sleep(300);
  const bytes = (await sync.ask({ type: "bytes" })).bytes.B ?? { in: 0, out: 0, msgsIn: 0, msgsOut: 0 };
  r.catchupBytesServerToB = bytes.out;
  r.catchupBytesBToServer = bytes.in;
  r.catchupMsgsServerToB = bytes.msgsOut;
  r.catchupMsgsBToServer = bytes.msgsIn;

  await A.ctx.close();
  await B.ctx.close();
  console.log(`  sync #${rep + 1}: reconnect->caught-up ${r.reconnectToCaughtUp_ms?.toFixed(0)} ms, online->caught-up ${r.onlineToCaughtUp_ms.toFixed(0)} ms, ` +
    `server->B ${(r.catchupBytesServerToB / 1024).toFixed(0)} KiB in ${r.catchupMsgsServerToB} msgs`);
  return r;
}

export async function syncBench({ origin, docs, perDoc, reps }) {
  const browser = await launchBrowser();
  const rounds = [];
  try {
    for (let rep = 0; rep < reps; rep++) {
      const sync = await startSyncServer(); // fresh server process per round: rounds are independent
      try {
        rounds.push(await oneRound({ browser, origin, sync, docs, perDoc, rep }));
      } finally {
        await sync.stop();
      }
    }
  } finally {
    await browser.close();
  }
  const S = k => stats(rounds.map(r => r[k]));
  return {
    docs, changesPerDoc: perDoc, totalChanges: docs * perDoc, bRetryIntervalMs: RETRY_MS,
    server: "Node child process (fresh per round), automerge-repo Repo + WebSocketServerAdapter (ws), in-memory, sharePolicy=false, 127.0.0.1",
    reconnectToCaughtUp_ms: S("reconnectToCaughtUp_ms"),
    onlineToCaughtUp_ms: S("onlineToCaughtUp_ms"),
    catchupBytesServerToB: S("catchupBytesServerToB"),
    catchupBytesBToServer: S("catchupBytesBToServer"),
    catchupMsgsServerToB: S("catchupMsgsServerToB"),
    aEdit_ms: S("aEdit_ms"),
    aUploadBytes: S("aUploadBytes"),
    serverHasEdits_ms: S("serverHasEdits_ms"),
    aCreate_ms: S("aCreate_ms"),
    bInitialFetch_ms: S("bInitialFetch_ms"),
    bInitialFetchBytesServerToB: S("bInitialFetchBytesServerToB"),
    rounds,
  };
}
