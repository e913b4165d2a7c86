/**
 * The shapes the workflow sources build. Typed loosely on purpose: a state is the JSON object
 * Step Functions reads (docs/architecture.md §6); asl-validator and the tests check the rest.
 */
export type State = Record<string, unknown>;
export type States = Record<string, State>;

export interface StateMachine {
  Comment: string;
  StartAt: string;
  TimeoutSeconds?: number;
  States: States;
}

/** A `${Name}` placeholder that SAM fills from the template's DefinitionSubstitutions. */
export const substitution = (name: string): string => `\${${name}}`;
