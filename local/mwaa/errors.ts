/**
 * The errors the local MWAA answers with: an AWS error code, its HTTP status and any extra members
 * of the restJson error body. api.ts writes them on the wire.
 */
export class MwaaError extends Error {
  override name = 'MwaaError';
  code: string;
  status: number;
  /** Extra members of the error body (InvokeRestApi's RestApiStatusCode / RestApiResponse). */
  fields: Record<string, unknown>;
  constructor(code: string, status: number, message: string, fields: Record<string, unknown> = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
}

export const validationError = (message: string) => new MwaaError('ValidationException', 400, message);
export const notFoundError = (name: string) =>
  new MwaaError('ResourceNotFoundException', 404, `Environment ${name} was not found.`);
