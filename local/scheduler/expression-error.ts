/** A schedule expression AWS would reject; the wire layers answer it as a validation error. */
export class ExpressionError extends Error {
  override name = 'ExpressionError';
}
