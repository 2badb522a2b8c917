// Loads ssm_lens.wasm once: from the file system in Node, with fetch in
// browsers. The module is standalone (no Emscripten glue) and imports a
// single function, the memory-growth notification.

// (module (func (result v128) v128.const i32x4 0 0 0 0)): validates only
// where the engine supports fixed-width SIMD.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,
  0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x0b,
]);

const WASM_URL = new URL('./ssm_lens.wasm', import.meta.url);

let instancePromise = null;

function isNode() {
  return typeof process !== 'undefined' && process.versions != null && process.versions.node != null;
}

async function readWasmBytes(url) {
  if (isNode() && url.protocol === 'file:') {
    // A computed specifier keeps bundlers from resolving a Node module
    // into browser bundles; this branch only runs in Node.
    const fsModule = ['node:fs', 'promises'].join('/');
    const { readFile } = await import(fsModule);
    try {
      return await readFile(url);
    } catch (error) {
      throw new Error(`ssm-lens: cannot read ${url.pathname} (${error.code}); run ./build.sh first`);
    }
  }
  const response = await fetch(url);
  if (!response.ok) {
    throw new Error(`ssm-lens: fetching ${url} failed with HTTP ${response.status}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

async function instantiate(url) {
  if (typeof WebAssembly !== 'object') {
    throw new Error('ssm-lens: this JavaScript engine has no WebAssembly support');
  }
  if (!WebAssembly.validate(SIMD_PROBE)) {
    throw new Error('ssm-lens: this engine lacks WebAssembly SIMD (fixed-width v128), which ssm-lens needs');
  }
  const bytes = await readWasmBytes(url);
  const imports = {
    env: {
      // Views of memory are rebuilt after every call, so nothing to do here.
      emscripten_notify_memory_growth() {},
    },
  };
  const { instance } = await WebAssembly.instantiate(bytes, imports);
  instance.exports._initialize();
  return instance;
}

/**
 * Instantiates the module at url afresh, without the cache: for
 * benchmarks that measure each case's memory, or to load another build.
 */
export function instantiateWasm(url = WASM_URL) {
  return instantiate(new URL(url, WASM_URL));
}

/**
 * Returns the cached instance of the module, instantiating it on first use.
 * A failed load is not cached, so a later call can retry.
 * @param {URL|string} [url] where the .wasm file is; defaults to the file
 *   beside this module.
 */
export function loadWasm(url = WASM_URL) {
  if (!instancePromise) {
    instancePromise = instantiate(new URL(url, WASM_URL)).catch((error) => {
      instancePromise = null;
      throw error;
    });
  }
  return instancePromise;
}
