import type { Decision, PolicyOptions, Verdict } from './protocol.js';
import { GuardError } from './errors.js';

/** The default policy: `pass` shows the CAD result, `suspicious` asks for review, `tampered` withholds it. */
export const defaultPolicy: Required<PolicyOptions> = Object.freeze({ onSuspicious: 'review', onTampered: 'withhold' });

const decisions: readonly Decision[] = ['show', 'review', 'withhold'];

/** Merges and checks the viewer's policy; `'show'` is never allowed for a tampered image. */
export function resolvePolicy(policy: PolicyOptions | undefined): Required<PolicyOptions> {
  const merged = { ...defaultPolicy, ...policy };
  if (!decisions.includes(merged.onSuspicious)) {
    throw new GuardError('invalid-input', `policy.onSuspicious must be 'show', 'review' or 'withhold', got ${JSON.stringify(merged.onSuspicious)}`);
  }
  if (merged.onTampered !== 'review' && merged.onTampered !== 'withhold') {
    throw new GuardError('invalid-input', `policy.onTampered must be 'review' or 'withhold' (never 'show'), got ${JSON.stringify(merged.onTampered)}`);
  }
  return merged;
}

/** Verdict to decision. */
export function decide(verdict: Verdict, policy: Required<PolicyOptions>): Decision {
  if (verdict === 'tampered') return policy.onTampered;
  if (verdict === 'suspicious') return policy.onSuspicious;
  return 'show';
}
