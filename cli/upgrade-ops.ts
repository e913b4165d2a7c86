/**
 * The AWS calls behind `mwaa-ops env upgrade`, as one port so the command can be tested with a
 * fake. The SDK adapter finds the workflow through the stack output
 * `UpgradeEnvironmentStateMachineArn`.
 */
import { GetEnvironmentCommand, MWAAClient } from '@aws-sdk/client-mwaa';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { sdkConfig } from './clients.ts';
import type { CliContext } from './context.ts';
import { stackOutputs } from './stack-outputs.ts';

export interface UpgradeExecutionState {
  status: string;
  error?: string;
  cause?: string;
  output?: unknown;
}

export interface UpgradeOps {
  /** MWAA status and Airflow version, or undefined when the environment does not exist. */
  environment(name: string): Promise<{ status: string; airflowVersion: string } | undefined>;
  startUpgrade(executionName: string, input: Record<string, unknown>): Promise<string>;
  describeExecution(executionArn: string): Promise<UpgradeExecutionState>;
  /** Names of the states entered so far, oldest first. */
  statesEntered(executionArn: string): Promise<string[]>;
  sleep(ms: number): Promise<void>;
}

export type UpgradeOpsFactory = (context: CliContext) => UpgradeOps;

export const sdkUpgradeOps: UpgradeOpsFactory = (context) => {
  const output = stackOutputs(context);
  const sfn = new SFNClient(sdkConfig(context, 'SFN'));
  const mwaaConfig = sdkConfig(context, 'MWAA');
  // An endpoint override (the local cloud) needs disableHostPrefix (ARCHITECTURE §3).
  const mwaa = new MWAAClient({ ...mwaaConfig, disableHostPrefix: 'endpoint' in mwaaConfig });
  return {
    async environment(name) {
      try {
        const out = await mwaa.send(new GetEnvironmentCommand({ Name: name }));
        return {
          status: String(out.Environment?.Status),
          airflowVersion: String(out.Environment?.AirflowVersion),
        };
      } catch (error) {
        if ((error as Error).name === 'ResourceNotFoundException') return undefined;
        throw error;
      }
    },
    async startUpgrade(name, input) {
      const out = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: await output('UpgradeEnvironmentStateMachineArn'),
          name,
          input: JSON.stringify(input),
        }),
      );
      return out.executionArn ?? '';
    },
    async describeExecution(executionArn) {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn }));
      return {
        status: out.status ?? 'UNKNOWN',
        ...(out.error ? { error: out.error } : {}),
        ...(out.cause ? { cause: out.cause } : {}),
        ...(out.output ? { output: JSON.parse(out.output) } : {}),
      };
    },
    async statesEntered(executionArn) {
      const names: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }),
        );
        for (const event of page.events ?? []) {
          const name = event.stateEnteredEventDetails?.name;
          if (event.type?.endsWith('StateEntered') && name) names.push(name);
        }
        nextToken = page.nextToken;
      } while (nextToken);
      return names;
    },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  };
};
