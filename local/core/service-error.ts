/**
 * An error an emulated AWS API answers with: its AWS error code, HTTP status and whether the
 * caller (Sender) or the service (Receiver) is at fault. Each service's wire layer renders it in
 * that service's protocol.
 */
export class ServiceError extends Error {
  override name = 'ServiceError';
  readonly code: string;
  readonly status: number;
  readonly sender: boolean;

  constructor(code: string, message: string, status = 400, sender = status < 500) {
    super(message);
    this.code = code;
    this.status = status;
    this.sender = sender;
  }
}
