// The page cadguard-eval runs in headless Chromium: it uses the built SDK exactly as a viewer would (one guard,
// encoded bytes fetched from the server, guard.check) and answers the Node driver one row at a time through
// `window.cadguardEval`. A GuardError is a result of the row; anything else rejects and stops the run.
import { createGuard, isGuardError } from '/dist/index.js';

let guard = null;
const events = [];

const failure = (error) => ({ ok: false, code: error.code, message: error.message });

window.cadguardEval = {
  /** Creates the one guard of the run; resolves with guard.info() or the GuardError that stopped it. */
  async start({ backend, manifestUrl, allowSoftwareAdapter }) {
    try {
      guard = await createGuard({
        backend,
        allowSoftwareAdapter,
        ...(manifestUrl ? { manifestUrl } : {}),
        onEvent: (event) => events.push({ ...event, atRow: window.cadguardEval.rowsChecked }),
      });
      return { ok: true, info: await guard.info(), crossOriginIsolated: globalThis.crossOriginIsolated === true };
    } catch (error) {
      if (isGuardError(error)) return failure(error);
      throw error;
    }
  },

  rowsChecked: 0,

  /** Fetches one image's bytes and checks them; `ms` is the wall time of guard.check alone. */
  async check(url) {
    const response = await fetch(url);
    if (!response.ok) throw new Error(`fetching ${url} answered HTTP ${response.status}`);
    const bytes = await response.arrayBuffer();
    const started = performance.now();
    try {
      const report = await guard.check(bytes, { heatmap: false });
      return {
        ok: true,
        ms: performance.now() - started,
        score: report.cad.score,
        positive: report.cad.positive,
        threshold: report.cad.threshold,
        integrityScore: report.integrity.score,
        verdict: report.integrity.verdict,
        decision: report.decision,
        backend: report.backend,
        fallback: report.fallback ?? null,
        signals: Object.fromEntries(report.integrity.signals.filter((s) => s.id !== 'calibration').map((s) => [s.id, s.value])),
        definitions: Object.fromEntries(report.integrity.signals.filter((s) => s.definition).map((s) => [s.id, s.definition])),
      };
    } catch (error) {
      if (isGuardError(error)) return { ...failure(error), ms: performance.now() - started };
      throw error;
    } finally {
      window.cadguardEval.rowsChecked++;
    }
  },

  /** Backend switches and worker restarts seen so far, each with the number of rows checked before it. */
  events: () => events.slice(),

  async dispose() {
    await guard?.dispose();
    guard = null;
  },
};
