/**
 * The AWS reads behind `mwaa-ops report savings`, as a port so the command is tested with a
 * fake: the environment's monthly history items and registry item (EnvironmentsTable, found
 * through the stack output `EnvironmentsTableName`) and its MWAA environment class.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetEnvironmentCommand, MWAAClient } from '@aws-sdk/client-mwaa';
import { BatchGetCommand, type BatchGetCommandOutput, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { sdkConfig } from '../clients.ts';
import type { CliContext } from '../context.ts';
import { sdkEnvironmentOps } from '../environment-ops.ts';
import { stackOutputs } from '../stack-outputs.ts';
import { historyKey } from './history.ts';

export interface SavingsOps {
  /** The history items of `environment` for these months (`yyyy-mm`); months without one are absent. */
  historyItems(environment: string, months: readonly string[]): Promise<Array<Record<string, unknown>>>;
  /** The registry item, unmarshalled; undefined when absent. */
  registry(environment: string): Promise<Record<string, unknown> | undefined>;
  /** The environment class MWAA reports, or undefined when the environment does not exist (paused). */
  environmentClass(environment: string): Promise<string | undefined>;
}

export type SavingsOpsFactory = (context: CliContext) => SavingsOps;

/** BatchGetItem takes at most 100 keys. */
const BATCH = 100;

export const sdkSavingsOps: SavingsOpsFactory = (context) => {
  const output = stackOutputs(context);
  const environmentOps = sdkEnvironmentOps(context);
  const dynamodb = DynamoDBDocumentClient.from(new DynamoDBClient(sdkConfig(context, 'DYNAMODB')));
  const mwaaConfig = sdkConfig(context, 'MWAA');
  const mwaa = new MWAAClient({ ...mwaaConfig, disableHostPrefix: 'endpoint' in mwaaConfig });
  return {
    async historyItems(environment, months) {
      const table = await output('EnvironmentsTableName');
      const items: Array<Record<string, unknown>> = [];
      for (let i = 0; i < months.length; i += BATCH) {
        let keys: Array<Record<string, unknown>> | undefined = months
          .slice(i, i + BATCH)
          .map((month) => ({ environment: historyKey(environment, month) }));
        // Unprocessed keys are retried; BatchGet returns them under throttling.
        for (let attempt = 0; keys && keys.length > 0; attempt += 1) {
          if (attempt > 0)
            await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** Math.min(attempt, 6)));
          const out: BatchGetCommandOutput = await dynamodb.send(
            new BatchGetCommand({ RequestItems: { [table]: { Keys: keys, ConsistentRead: true } } }),
          );
          items.push(...(out.Responses?.[table] ?? []));
          keys = out.UnprocessedKeys?.[table]?.Keys;
        }
      }
      return items;
    },
    // The same consistent read `env status` makes.
    registry: (environment) => environmentOps.registry(environment),
    async environmentClass(environment) {
      try {
        const out = await mwaa.send(new GetEnvironmentCommand({ Name: environment }));
        return out.Environment?.EnvironmentClass;
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },
  };
};
