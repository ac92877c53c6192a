// Converters describe what is wrong with a value; mapRecord adds which field and line it was.
export class ValueProblem extends Error {
  constructor(
    /** Completes `field "x": "<value>" ...`, e.g. `is not an integer (expected digits, e.g. 42)`. */
    readonly problem: string,
    readonly code: 'invalid-value' | 'unsafe-reference' = 'invalid-value',
  ) {
    super(problem);
    this.name = 'ValueProblem';
  }
}
