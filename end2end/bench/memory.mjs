// What a page holds, measured the same way for Tend and for the peer (automerge-repo): after a
// garbage collection forced through CDP, every WebAssembly.Memory's size (found with
// Runtime.queryObjects, so neither app needs a hook) plus the JS heap in use (Runtime.getHeapUsage).
export async function pageMemory(context, page) {
  const cdp = await context.newCDPSession(page);
  try {
    await cdp.send('HeapProfiler.collectGarbage');
    const heap = await cdp.send('Runtime.getHeapUsage');
    const { result: proto } = await cdp.send('Runtime.evaluate', { expression: 'WebAssembly.Memory.prototype' });
    const { objects } = await cdp.send('Runtime.queryObjects', { prototypeObjectId: proto.objectId });
    const { result } = await cdp.send('Runtime.callFunctionOn', {
      objectId: objects.objectId,
      functionDeclaration: 'function () { return this.map((m) => m.buffer.byteLength); }',
      returnByValue: true,
    });
    const wasm = result.value.reduce((a, b) => a + b, 0);
    return { wasmBytes: wasm, wasmMemories: result.value.length, jsHeapUsedBytes: heap.usedSize, totalBytes: wasm + heap.usedSize };
  } finally {
    await cdp.detach();
  }
}
