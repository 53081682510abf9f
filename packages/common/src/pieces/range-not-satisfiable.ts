import { AppError } from '../errors.js';

/** 416: a Range outside the blob, or more than one range. */
export class RangeNotSatisfiableError extends AppError {
  readonly status = 416;
  constructor(description: string) {
    super('range_not_satisfiable', description);
  }
}
