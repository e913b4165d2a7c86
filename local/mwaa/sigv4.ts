/**
 * A light check of the SigV4 `Authorization` header: present, well formed, scoped to the
 * `airflow` signing name. The signature itself is not recomputed — the local cloud accepts any
 * credentials — but the access key id is recorded, which is how the emulator tells callers apart.
 */
import { MwaaError } from './errors.ts';

export interface SigV4Credential {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
}

const PATTERN =
  /^AWS4-HMAC-SHA256 Credential=([^/\s]+)\/(\d{8})\/([a-z0-9-]+)\/([a-z0-9-]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

export function parseSigV4(authorization: string | undefined, amzDate: string | undefined): SigV4Credential {
  if (!authorization)
    throw new MwaaError('MissingAuthenticationTokenException', 403, 'Missing Authentication Token');
  const match = PATTERN.exec(authorization.trim());
  if (!match) {
    throw new MwaaError(
      'IncompleteSignatureException',
      403,
      `Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.`,
    );
  }
  const [, accessKeyId, date, region, service, signedHeaders] = match as unknown as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  if (service !== 'airflow') {
    throw new MwaaError(
      'InvalidSignatureException',
      403,
      `Credential should be scoped to correct service: 'airflow'.`,
    );
  }
  if (!amzDate?.startsWith(date)) {
    throw new MwaaError(
      'IncompleteSignatureException',
      403,
      'Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP.',
    );
  }
  const headers = signedHeaders.split(';');
  if (!headers.includes('host'))
    throw new MwaaError('IncompleteSignatureException', 403, "'Host' must be a signed header.");
  return { accessKeyId, date, region, service, signedHeaders: headers };
}
