import type { RsErrorBody } from './contract/views.js';

export abstract class AppError extends Error {
  abstract readonly status: number;
  readonly code: string;
  readonly details: unknown;

  constructor(code: string, description: string, options: { cause?: unknown; details?: unknown } = {}) {
    super(description, { cause: options.cause });
    this.name = this.constructor.name;
    this.code = code;
    this.details = options.details;
  }

  toJSON(): RsErrorBody {
    return { error_code: this.code, description: this.message };
  }
}

export class BadRequestError extends AppError {
  readonly status = 400;
}

export class UnauthorizedError extends AppError {
  readonly status = 401;
  constructor(
    description = 'Authentication required: send HTTP Basic credentials (email:password)',
    code = 'unauthorized',
  ) {
    super(code, description);
  }
}

export class ForbiddenError extends AppError {
  readonly status = 403;
}

export class NotFoundError extends AppError {
  readonly status = 404;
}

export class NotAcceptableError extends AppError {
  readonly status = 406;
}

export class ConflictError extends AppError {
  readonly status = 409;
}

export class PayloadTooLargeError extends AppError {
  readonly status = 413;
}

export class UnsupportedMediaTypeError extends AppError {
  readonly status = 415;
}

export class TooManyRequestsError extends AppError {
  readonly status = 429;
}

/** Another server the request made us call answered badly or not at all. */
export class BadGatewayError extends AppError {
  readonly status = 502;
}

export class ServiceUnavailableError extends AppError {
  readonly status = 503;
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
