/** Account, region and ARN conventions of the local cloud. */
export const LOCAL_ACCOUNT_ID = '000000000000';
export const DEFAULT_REGION = 'us-east-1';
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export function arn(service: string, region: string, resource: string, account = LOCAL_ACCOUNT_ID): string {
  return `arn:aws:${service}:${region}:${account}:${resource}`;
}
