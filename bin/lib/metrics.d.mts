// Types of metrics.mjs, for the TypeScript tests that import it.

export type Label = 'normal' | 'benign' | 'malignant' | 'unknown';

/** One evaluated row, as written to results.json. */
export interface ResultRow {
  file: string;
  label: Label;
  tampered: boolean;
  source: string | null;
  score: number | null;
  positive: boolean | null;
  integrityScore: number | null;
  verdict: 'pass' | 'suspicious' | 'tampered' | null;
  decision: 'show' | 'review' | 'withhold' | null;
  backend: 'webgpu' | 'wasm' | null;
  ms: number | null;
  error: string | null;
  errorMessage?: string;
}

/** The `summary` of results.json. */
export interface Summary {
  n: number;
  backend: string | null;
  cad: { aucAbnormal: number | null; aucMalignant: number | null; sensitivity: number | null; specificity: number | null };
  integrity: { fprClean: number | null; tprTampered: number | null; auc: number | null };
  flips: { unguardedFlipRate: number | null; undetectedFlipRate: number | null };
}

export function aucMannWhitney(positives: number[], negatives: number[]): number | null;
export function rate(count: number, total: number): number | null;
export function summarise(rows: ResultRow[], fallbackBackend?: string | null): Summary;
