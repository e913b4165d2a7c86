/** Checks for the fields of a workflow step's input that several steps share. */
import type { ActionInput as Input } from '../shared/action-dispatch.ts';
import { ValidationError } from '../shared/errors.ts';

export const SHA256 = /^[0-9a-f]{64}$/;

/** An optional digest input: absent or null (not checked), else 64 lowercase hex digits. */
export function optionalDigest(input: Input, field: string): string | null {
  const value = input[field];
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string' || !SHA256.test(value))
    throw new ValidationError(`${field} must be a SHA-256 in 64 lowercase hex digits, or null`);
  return value;
}

export const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
