import { RwsError } from '@rws/core';
import { ERROR_CODES } from './errors.js';
import type { StandardSchemaV1, StandardSchemaV1Issue } from './standard-schema.js';

/** One validation problem as the 422 body lists it. */
export interface ValidationIssue {
  /** Where: `body`, `query` or `params`, then the dotted path inside it (`body.user.name`). */
  readonly path: string;
  readonly message: string;
}

/**
 * Thrown when a body, query or params fails its schema. The App answers 422 with
 * `{ "errors": [{ "path", "message" }] }`.
 */
export class ValidationError extends RwsError {
  readonly issues: readonly ValidationIssue[];

  constructor(issues: readonly ValidationIssue[]) {
    super(
      ERROR_CODES.VALIDATION_FAILED,
      `validation failed: ${issues.length} issue${issues.length === 1 ? '' : 's'}`,
      { status: 422 },
    );
    this.name = 'ValidationError';
    this.issues = issues;
  }
}

function issuePath(location: string, issue: StandardSchemaV1Issue): string {
  let out = location;
  for (const segment of issue.path ?? []) {
    const key = typeof segment === 'object' && segment !== null ? segment.key : segment;
    out += `.${String(key)}`;
  }
  return out;
}

/**
 * Validates `value` with any Standard Schema v1. Returns `{ value }` or `{ issues }` with
 * paths prefixed by `location`.
 */
export async function validate<T>(
  schema: StandardSchemaV1<unknown, T>,
  value: unknown,
  location: string,
): Promise<{ value: T; issues: null } | { value: undefined; issues: ValidationIssue[] }> {
  const result = await schema['~standard'].validate(value);
  if (result.issues === undefined) return { value: result.value, issues: null };
  return {
    value: undefined,
    issues: result.issues.map((issue) => ({
      path: issuePath(location, issue),
      message: issue.message,
    })),
  };
}
