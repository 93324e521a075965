// What a page holds, measured the same way for Tend and for the peer (automerge-repo): after a
// garbage collection forced through CDP, the linear memory of every WebAssembly instance the page
// made plus the JS heap in use (CDP Runtime.getHeapUsage). Neither app has a hook for it: the init
// script below, added to the browser context before the page loads, notes each instance's exported
// memory as WebAssembly.instantiate(Streaming) returns it. (CDP Runtime.queryObjects would find the
// memories without a script, but it crashes the peer's page in Chromium 156.)

/** Pass to `context.addInitScript` before the measured page loads. */
export function noteWasmMemories() {
  const memories = [];
  Object.defineProperty(window, '__benchWasmMemories', { value: memories });
  const note = (result) => {
    const instance = result instanceof WebAssembly.Instance ? result : result?.instance;
    for (const value of Object.values(instance?.exports ?? {})) {
      if (value instanceof WebAssembly.Memory && !memories.includes(value)) memories.push(value);
    }
    return result;
  };
  for (const name of ['instantiate', 'instantiateStreaming']) {
    const original = WebAssembly[name];
    WebAssembly[name] = function (...args) {
      return original.apply(this, args).then(note);
    };
  }
}

export async function pageMemory(context, page) {
  const cdp = await context.newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await cdp.send('Runtime.getHeapUsage');
    const sizes = await page.evaluate(() => (window.__benchWasmMemories ?? []).map((m) => m.buffer.byteLength));
    if (sizes.length === 0) throw new Error('no WebAssembly memory was noted: was noteWasmMemories added before the page loaded?');
    const wasm = sizes.reduce((a, b) => a + b, 0);
    return { wasmBytes: wasm, wasmMemories: sizes.length, jsHeapUsedBytes: heap.usedSize, totalBytes: wasm + heap.usedSize };
  } finally {
    await cdp.detach();
  }
}
