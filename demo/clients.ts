/** SDK clients for the demo, pointed at the local cloud exactly as a deployed tool would be. */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MWAAClient } from '@aws-sdk/client-mwaa';
import { S3Client } from '@aws-sdk/client-s3';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { LocalCloud } from '../local/index.ts';

export function demoClients(cloud: LocalCloud) {
  const base = {
    region: cloud.env.AWS_REGION,
    credentials: {
      accessKeyId: cloud.env.AWS_ACCESS_KEY_ID,
      secretAccessKey: cloud.env.AWS_SECRET_ACCESS_KEY,
    },
  };
  return {
    mwaa: new MWAAClient({ ...base, endpoint: cloud.env.AWS_ENDPOINT_URL_MWAA, disableHostPrefix: true }),
    s3: new S3Client({ ...base, endpoint: cloud.env.AWS_ENDPOINT_URL_S3, forcePathStyle: true }),
    sqs: new SQSClient({ ...base, endpoint: cloud.env.AWS_ENDPOINT_URL_SQS }),
    ddb: DynamoDBDocumentClient.from(
      new DynamoDBClient({ ...base, endpoint: cloud.env.AWS_ENDPOINT_URL_DYNAMODB }),
      {
        marshallOptions: { removeUndefinedValues: true },
      },
    ),
  };
}

export type DemoClients = ReturnType<typeof demoClients>;
