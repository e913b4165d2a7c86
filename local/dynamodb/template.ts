/** Template support for DynamoDB: AWS::DynamoDB::Table and AWS::Serverless::SimpleTable. */
import type { LocalTable } from '../core/model.ts';
import { isObject, type Json, type ResourceInput, type TemplateSupport } from '../template/support.ts';

/** The CreateTable parameters a table resource carries over (the rest are not emulated). */
const TABLE_KEYS = [
  'KeySchema',
  'AttributeDefinitions',
  'GlobalSecondaryIndexes',
  'LocalSecondaryIndexes',
  'BillingMode',
  'ProvisionedThroughput',
  'StreamSpecification',
  'SSESpecification',
  'TableClass',
  'DeletionProtectionEnabled',
  'TimeToLiveSpecification',
];

function tableInput(name: string, props: Json): Json {
  const out: Json = { TableName: name };
  for (const key of TABLE_KEYS) if (props[key] !== undefined) out[key] = props[key];
  return out;
}

/** SAM's SimpleTable expanded as SAM does: one hash key (default `id: String`), on-demand unless provisioned. */
function simpleTableInput(name: string, props: Json): Json {
  const key = isObject(props.PrimaryKey) ? props.PrimaryKey : { Name: 'id', Type: 'String' };
  const typeCode: Record<string, string> = { String: 'S', Number: 'N', Binary: 'B' };
  return {
    TableName: name,
    KeySchema: [{ AttributeName: String(key.Name), KeyType: 'HASH' }],
    AttributeDefinitions: [
      { AttributeName: String(key.Name), AttributeType: typeCode[String(key.Type)] ?? 'S' },
    ],
    ...(props.ProvisionedThroughput
      ? { BillingMode: 'PROVISIONED', ProvisionedThroughput: props.ProvisionedThroughput }
      : { BillingMode: 'PAY_PER_REQUEST' }),
    ...(props.SSESpecification ? { SSESpecification: props.SSESpecification } : {}),
  };
}

function addTable({ logicalId, type, id, rawProps, resolve, model }: ResourceInput): void {
  const props = resolve(rawProps) as Json;
  model.tables.push({
    logicalId,
    name: id.ref,
    arn: id.attrs.Arn as string,
    createTableInput:
      type === 'AWS::DynamoDB::Table' ? tableInput(id.ref, props) : simpleTableInput(id.ref, props),
  } satisfies LocalTable);
}

export const dynamodbTemplate: TemplateSupport = {
  service: 'dynamodb',
  resources: { 'AWS::DynamoDB::Table': addTable, 'AWS::Serverless::SimpleTable': addTable },
};
