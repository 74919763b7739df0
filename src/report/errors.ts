// A report could not be made, verified or delivered as asked: a wrong period, a missing browser, a file
// that does not match its manifest. The message says what to do.
import { InsiderError, type ErrorContext } from '../errors';

export class ReportError extends InsiderError {
  constructor(message: string, context: ErrorContext = {}, cause?: unknown) {
    super('REPORT_FAILED', message, { context, cause });
  }
}
