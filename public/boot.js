// Starts the app. Trunk would inline this bootstrap into index.html; as a file (hashed, with an SRI
// integrity attribute) it lets the Content-Security-Policy forbid every inline script.
// Trunk.toml's `pattern_script` writes the hashed names of the wasm-bindgen glue and the wasm module
// into the two meta elements read here.
const content = (name) => document.querySelector(`meta[name="${name}"]`)?.getAttribute('content');
const glue = content('tend-app-js');
const wasm = content('tend-app-wasm');
if (!glue || !wasm) throw new Error('index.html does not name the app files (tend-app-js, tend-app-wasm)');
const { default: init } = await import(glue);
await init({ module_or_path: wasm });
