import type { ErrorRequestHandler, RequestHandler } from 'express';
import multer from 'multer';
import { AppError, BadRequestError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError } from '../errors.js';
import type { RsErrorBody } from '../contract/views.js';

/** Errors thrown by body parsers and multer, turned into the client errors they are. */
function fromLibraryError(err: unknown): AppError | undefined {
  if (err instanceof multer.MulterError) {
    if (err.code === 'LIMIT_FILE_SIZE')
      return new PayloadTooLargeError('artifact_too_large', 'The module artifact is larger than this node accepts');
    if (err.code === 'LIMIT_UNEXPECTED_FILE')
      return new BadRequestError(
        'no_module',
        `Unexpected file field "${err.field ?? ''}": send the artifact as the multipart field "module"`,
      );
    return new BadRequestError('bad_request', `Malformed multipart upload: ${err.message}`);
  }
  const status = (err as { status?: unknown; type?: unknown } | undefined)?.status;
  const type = (err as { type?: unknown } | undefined)?.type;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    if (status === 413) return new PayloadTooLargeError('request_too_large', 'The request body is too large');
    if (type === 'entity.parse.failed')
      return new BadRequestError('invalid_json', 'The request body is not valid JSON');
    return new BadRequestError('bad_request', 'The request could not be read');
  }
  // busboy reports broken multipart bodies as plain Errors
  if (
    err instanceof Error &&
    /^(Unexpected end of form|Malformed part header|Multipart: Boundary not found|Unexpected end of multipart data)/.test(
      err.message,
    )
  ) {
    return new BadRequestError('bad_request', `Malformed multipart upload: ${err.message}`);
  }
  // busboy takes only multipart/form-data among the multipart types multer hands it
  if (err instanceof Error && err.message.startsWith('Unsupported content type: ')) {
    return new BadRequestError(
      'bad_request',
      `${err.message}: send the artifact as multipart/form-data (curl -F module=@module.zip)`,
    );
  }
  if (
    err instanceof Error &&
    (err.name === 'MaxRetriesPerRequestError' || /enableOfflineQueue|Connection is closed/.test(err.message))
  ) {
    return new ServiceUnavailableError(
      'redis_unavailable',
      'The cluster configuration store (Redis) is not reachable; try again shortly',
    );
  }
  return undefined;
}

/** Every error leaves as the RS body; a 5xx is logged with the request id and says nothing of internals. */
export function errorMiddleware(): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const known = err instanceof AppError ? err : fromLibraryError(err);
    if (res.headersSent) {
      req.log.warn({ err }, 'error after the response started');
      res.destroy();
      return;
    }
    if (known) {
      if (known.status >= 500) req.log.error({ err }, 'request failed');
      res.status(known.status).json(known.toJSON());
      return;
    }
    req.log.error({ err }, 'unhandled error');
    const body: RsErrorBody = {
      error_code: 'internal_error',
      description: `Internal error; quote request id ${res.getHeader('x-request-id') as string} when reporting it`,
    };
    res.status(500).json(body);
  };
}

export function notFoundHandler(): RequestHandler {
  return req => {
    throw new NotFoundError('not_found', `No such route: ${req.method} ${req.path}`);
  };
}
