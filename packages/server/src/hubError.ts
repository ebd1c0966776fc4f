import type { ErrorCode } from '@patchbay/realtime-core';
import type { WireError } from './frames.js';

/** A refusal the hub sends back to a client as `{ ok: false, error: { code, message } }`. */
export class HubError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;

  constructor(
    code: ErrorCode,
    message: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'HubError';
    this.code = code;
    this.retryable = options.retryable ?? false;
  }

  toWire(): WireError {
    return {
      code: this.code,
      message: this.message,
      ...(this.retryable ? { retryable: true } : {}),
    };
  }
}
