// Types of calibration.mjs for the TypeScript tests.
export function quantile(sorted: number[], q: number): number;
export function clopperPearson(k: number, n: number): [number, number];
export function thresholdFor(scores: number[], rate: number): number;
export const SIGNAL_TAIL_QUANTILE: number;
export function tailScale(sorted: number[]): { center: number; scale: number };
export interface Calibration {
  signals: Record<string, { center: number; scale: number; definition?: string }>;
  thresholds: { suspicious: number; tampered: number };
  calibration: {
    images: number;
    targets: { suspicious: number; tampered: number };
    tail: { from: number; meanExcess: number };
    achieved: Record<'suspicious' | 'tampered', { falsePositives: number; rate: number; ci95: [number, number] }>;
    warnings: string[];
  };
}
export function calibrate(
  rows: { file: string; signals: Record<string, number | null> }[],
  options?: { suspiciousRate?: number; tamperedRate?: number; signals?: string[]; definitions?: Record<string, string> },
): Calibration;
