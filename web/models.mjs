// Models for the page and <ssm-lens-view>: seeded random models, model
// files from a URL, and the variants that Honarpisheh et al. (NeurIPS 2025)
// study: a fixed step Δ = 1, A = 0, and a shift of s_A.
import { SsmLensError, createModel, modelFromFile } from '../wasm/index.mjs';

/** The step-size bias with softplus(p) = ln(1 + e^p) = 1: p = ln(e − 1). */
export const FIXED_STEP_BIAS = Math.log(Math.E - 1);

/** Ranges of the seeded random model's settings, as the page's controls enforce them. */
export const RANDOM_MODEL_RANGES = Object.freeze({
  sA: { name: 's_A', min: -100, max: 100, integer: false },
  d: { name: 'd', min: 1, max: 64, integer: true },
  N: { name: 'N', min: 1, max: 64, integer: true },
  vocab: { name: 'The vocabulary size', min: 1, max: 4096, integer: true },
  seed: { name: 'The seed', min: 0, max: 2 ** 32 - 1, integer: true },
});

/**
 * Returns base, or a copy of it with the variant applied:
 *   step 'fixed'  q = 0 and p = ln(e − 1), so Δ[t] = 1 at every step
 *   A 'zero'      A = 0, so nothing decays
 *   shift         added to every entry of A (after A = 0), so s_A moves by shift
 * With step 'fixed', A 'zero' and shift 0 the block is causal linear attention.
 */
export async function applyVariant(base, { step = 'selective', A = 'on', shift = 0 } = {}) {
  if (step === 'selective' && A === 'on' && shift === 0) return base;
  const { d, N, K, vocab } = base;
  const shiftedA = A === 'zero' ? new Float32Array(d * N) : Float32Array.from(base.A);
  if (shift !== 0) {
    for (let i = 0; i < shiftedA.length; i++) shiftedA[i] += shift;
  }
  const changes = [];
  if (step === 'fixed') changes.push('Δ = 1');
  if (A === 'zero') changes.push('A = 0');
  if (shift !== 0) changes.push(`A shifted by ${shift > 0 ? '+' : ''}${shift}`);
  return createModel({
    d, N, K, vocab,
    A: shiftedA,
    W_B: base.W_B,
    W_C: base.W_C,
    q: step === 'fixed' ? new Float32Array(d) : base.q,
    p: step === 'fixed' ? FIXED_STEP_BIAS : base.p,
    W: base.W,
    embedding: base.embedding,
    source: `${base.source}; ${changes.join(', ')}`,
    layout: base.layout,
  });
}

/** Returns a copy of model with every entry of A shifted so that s_A = sA. */
export function withSpectralAbscissa(model, sA) {
  return applyVariant(model, { shift: sA - model.sA });
}

/**
 * Fetches a model file (state-dict JSON or safetensors) and creates the
 * model. url is resolved against base. Throws SsmLensError with the URL
 * and the reason when the fetch or the file fails.
 */
export async function fetchModel(url, base = document.baseURI) {
  let resolved;
  try {
    resolved = new URL(url, base);
  } catch {
    throw new SsmLensError(`model URL ${JSON.stringify(url)} is not a valid URL`);
  }
  let response;
  try {
    response = await fetch(resolved);
  } catch (error) {
    throw new SsmLensError(`fetching the model ${resolved.href} failed: ${error.message}`);
  }
  if (!response.ok) {
    throw new SsmLensError(`fetching the model ${resolved.href} failed with HTTP ${response.status}`);
  }
  return modelFromFile(new Uint8Array(await response.arrayBuffer()));
}

/** Returns the file name at the end of a URL's path, for messages and summaries. */
export function fileNameOf(url) {
  try {
    const path = new URL(url, 'http://localhost/').pathname;
    return decodeURIComponent(path.slice(path.lastIndexOf('/') + 1)) || url;
  } catch {
    return url;
  }
}
