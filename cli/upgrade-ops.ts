/**
 * The AWS calls behind `mwaa-ops env upgrade`, as one port so the command can be tested with a
 * fake. The SDK adapter finds the workflow through the stack output
 * `UpgradeEnvironmentStateMachineArn`.
 */
import { GetEnvironmentCommand, MWAAClient } from '@aws-sdk/client-mwaa';
import { SFNClient } from '@aws-sdk/client-sfn';
import { sdkConfig } from './clients.ts';
import type { CliContext } from './context.ts';
import { stackOutputs } from './stack-outputs.ts';
import { type ExecutionState, type ExecutionWatcher, sfnWorkflowRunner, sleep } from './workflow-runner.ts';

/** Kept as an alias so existing imports keep working. */
export type UpgradeExecutionState = ExecutionState;

export interface UpgradeOps extends ExecutionWatcher {
  /** MWAA status and Airflow version, or undefined when the environment does not exist. */
  environment(name: string): Promise<{ status: string; airflowVersion: string } | undefined>;
  startUpgrade(executionName: string, input: Record<string, unknown>): Promise<string>;
}

export type UpgradeOpsFactory = (context: CliContext) => UpgradeOps;

export const sdkUpgradeOps: UpgradeOpsFactory = (context) => {
  const output = stackOutputs(context);
  const runner = sfnWorkflowRunner(new SFNClient(sdkConfig(context, 'SFN')));
  const mwaaConfig = sdkConfig(context, 'MWAA');
  // An endpoint override (the local cloud) needs disableHostPrefix (docs/architecture.md §3).
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
    startUpgrade: async (name, input) =>
      runner.start(await output('UpgradeEnvironmentStateMachineArn'), name, input),
    describeExecution: runner.describeExecution,
    statesEnteredAfter: runner.statesEnteredAfter,
    sleep,
  };
};
