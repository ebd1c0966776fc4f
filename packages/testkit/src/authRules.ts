import type { AuthRejection } from './harness.js';

/** The refusals a harness is asked to simulate, and whether one applies. */
export interface AuthRules {
  /** Start refusing; returns the undo function `rejectAuth` must return. */
  add(rule: AuthRejection): () => void;
  /**
   * Does a rule refuse this? A rule naming a channel never refuses the connection itself; a
   * rule with only a clientId refuses that user everything.
   */
  rejects(clientId: string, channel: string | undefined, action: string): boolean;
}

/** The shared rule book behind `harness.rejectAuth()` for harnesses with their own auth hooks. */
export function createAuthRules(): AuthRules {
  const rules = new Set<AuthRejection>();
  return {
    add(rule) {
      const entry = { ...rule };
      rules.add(entry);
      return () => {
        rules.delete(entry);
      };
    },
    rejects(clientId, channel, action) {
      for (const rule of rules) {
        if (rule.clientId !== undefined && rule.clientId !== clientId) continue;
        if (rule.channel !== undefined && rule.channel !== channel) continue;
        if (rule.action !== undefined && rule.action !== action) continue;
        if (rule.channel !== undefined && action === 'connect') continue;
        return true;
      }
      return false;
    },
  };
}
