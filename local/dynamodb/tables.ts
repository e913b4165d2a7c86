/** CloudFormation `AWS::DynamoDB::Table` properties → a CreateTable request dynalite accepts. */
import type { LocalTable } from '../core/model.ts';

type Json = Record<string, unknown>;

const DEFAULT_THROUGHPUT = { ReadCapacityUnits: 5, WriteCapacityUnits: 5 };

const cleanIndex = (index: Json, provisioned: boolean): Json => {
  const out: Json = {
    IndexName: index.IndexName,
    KeySchema: index.KeySchema,
    Projection: index.Projection ?? { ProjectionType: 'ALL' },
  };
  if (provisioned) out.ProvisionedThroughput = index.ProvisionedThroughput ?? DEFAULT_THROUGHPUT;
  return out;
};

export function createTableRequest(table: LocalTable): Json {
  const input = table.createTableInput;
  const provisioned = input.BillingMode !== 'PAY_PER_REQUEST';
  const request: Json = {
    TableName: table.name,
    KeySchema: input.KeySchema,
    AttributeDefinitions: input.AttributeDefinitions,
  };
  if (provisioned) request.ProvisionedThroughput = input.ProvisionedThroughput ?? DEFAULT_THROUGHPUT;
  else request.BillingMode = 'PAY_PER_REQUEST';
  if (Array.isArray(input.GlobalSecondaryIndexes) && input.GlobalSecondaryIndexes.length) {
    request.GlobalSecondaryIndexes = (input.GlobalSecondaryIndexes as Json[]).map((index) =>
      cleanIndex(index, provisioned),
    );
  }
  if (Array.isArray(input.LocalSecondaryIndexes) && input.LocalSecondaryIndexes.length) {
    request.LocalSecondaryIndexes = (input.LocalSecondaryIndexes as Json[]).map((index) =>
      cleanIndex(index, false),
    );
  }
  const stream = input.StreamSpecification as Json | undefined;
  if (stream?.StreamViewType)
    request.StreamSpecification = { StreamEnabled: true, StreamViewType: stream.StreamViewType };
  // SSE, TTL, table class, deletion protection and PITR change nothing locally (dynalite rejects
  // UpdateTimeToLive and never expires items: code must check `expiresAt` itself).
  return request;
}
