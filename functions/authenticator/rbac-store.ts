/**
 * RbacTable on DynamoDB (document client). Reads for the authenticator — BatchGetItem of the
 * (principal, environment) keys a login needs, Query per principal for the landing page — and
 * writes for the CLI.
 */
import {
  BatchGetCommand,
  type BatchGetCommandOutput,
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { parseGrant, type RbacGrant, type RbacKey, type RbacStore } from './rbac.ts';

const BATCH_LIMIT = 100;
const UNPROCESSED_RETRIES = 4;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function grantsOf(items: ReadonlyArray<Record<string, unknown>> | undefined): RbacGrant[] {
  return (items ?? []).flatMap((item) => {
    const grant = parseGrant(item);
    return grant ? [grant] : [];
  });
}

export function dynamoRbacStore(client: DynamoDBDocumentClient, tableName: string): RbacStore {
  async function batch(keys: RbacKey[]): Promise<RbacGrant[]> {
    const found: RbacGrant[] = [];
    let pending: Array<Record<string, unknown>> = keys.map((k) => ({ ...k }));
    for (let attempt = 0; pending.length > 0; attempt += 1) {
      if (attempt > UNPROCESSED_RETRIES) throw new Error('BatchGetItem left keys unprocessed after retries');
      if (attempt > 0) await sleep(25 * 2 ** attempt);
      const out: BatchGetCommandOutput = await client.send(
        new BatchGetCommand({ RequestItems: { [tableName]: { Keys: pending, ConsistentRead: true } } }),
      );
      found.push(...grantsOf(out.Responses?.[tableName]));
      pending = (out.UnprocessedKeys?.[tableName]?.Keys ?? []) as Array<Record<string, unknown>>;
    }
    return found;
  }

  return {
    async getMany(keys) {
      const unique = [...new Map(keys.map((k) => [`${k.principal}\u0000${k.environment}`, k])).values()];
      const chunks: RbacKey[][] = [];
      for (let i = 0; i < unique.length; i += BATCH_LIMIT) chunks.push(unique.slice(i, i + BATCH_LIMIT));
      return (await Promise.all(chunks.map(batch))).flat();
    },
    async listByPrincipal(principal) {
      const grants: RbacGrant[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await client.send(
          new QueryCommand({
            TableName: tableName,
            KeyConditionExpression: 'principal = :p',
            ExpressionAttributeValues: { ':p': principal },
            ...(start ? { ExclusiveStartKey: start } : {}),
          }),
        );
        grants.push(...grantsOf(out.Items));
        start = out.LastEvaluatedKey;
      } while (start);
      return grants;
    },
  };
}

/** Write access for the CLI. */
export interface RbacAdmin {
  put(grant: RbacGrant): Promise<void>;
  /** Delete a record; returns whether it existed. */
  delete(key: RbacKey): Promise<RbacGrant | undefined>;
  get(key: RbacKey): Promise<RbacGrant | undefined>;
  /** Every record (a Scan; the table is small). */
  all(): Promise<RbacGrant[]>;
}

export function dynamoRbacAdmin(client: DynamoDBDocumentClient, tableName: string): RbacAdmin {
  const store = dynamoRbacStore(client, tableName);
  return {
    async put(grant) {
      await client.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            principal: grant.principal,
            environment: grant.environment,
            roles: new Set(grant.roles),
            ...(grant.expiresAt === undefined ? {} : { expiresAt: grant.expiresAt }),
          },
        }),
      );
    },
    async delete(key) {
      const out = await client.send(
        new DeleteCommand({ TableName: tableName, Key: { ...key }, ReturnValues: 'ALL_OLD' }),
      );
      return out.Attributes ? parseGrant(out.Attributes) : undefined;
    },
    async get(key) {
      return (await store.getMany([key]))[0];
    },
    async all() {
      const grants: RbacGrant[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const out = await client.send(
          new ScanCommand({ TableName: tableName, ...(start ? { ExclusiveStartKey: start } : {}) }),
        );
        grants.push(...grantsOf(out.Items));
        start = out.LastEvaluatedKey;
      } while (start);
      return grants.sort(
        (a, b) => a.principal.localeCompare(b.principal) || a.environment.localeCompare(b.environment),
      );
    },
  };
}
