/**
 * Names of deployed resources (tables, buckets, ARNs) come from the stack's outputs.
 *
 * Resolution order for an output `Name`:
 *   1. the variable `MWAA_OPS_OUTPUT_<Name>` in the context's environment — the local cloud's
 *      connection file carries every output this way, and a shell can set one to override;
 *   2. CloudFormation `DescribeStacks` on the `--stack` stack (AWS only), read once per command.
 * A missing output is an error that names both places, so the fix is obvious.
 */
import {
  CloudFormationClient,
  DescribeStacksCommand,
  type DescribeStacksCommandOutput,
} from '@aws-sdk/client-cloudformation';
import { MwaaOpsError } from '../functions/shared/errors.ts';
import { sdkConfig } from './clients.ts';
import type { CliContext } from './context.ts';

export class StackOutputError extends MwaaOpsError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, options);
    this.name = 'StackOutputError';
  }
}

export const outputVariable = (name: string) => `MWAA_OPS_OUTPUT_${name}`;

export type DescribeOutputs = (context: CliContext) => Promise<Record<string, string>>;

export const describeStackOutputs: DescribeOutputs = async (context) => {
  const client = new CloudFormationClient(sdkConfig(context, 'CLOUDFORMATION'));
  let out: DescribeStacksCommandOutput;
  try {
    out = await client.send(new DescribeStacksCommand({ StackName: context.stack }));
  } catch (cause) {
    throw new StackOutputError(
      `Cannot read the outputs of stack ${context.stack}: ${(cause as Error).message}`,
      {
        cause,
      },
    );
  }
  const outputs: Record<string, string> = {};
  for (const output of out.Stacks?.[0]?.Outputs ?? []) {
    if (output.OutputKey && output.OutputValue !== undefined) outputs[output.OutputKey] = output.OutputValue;
  }
  return outputs;
};

/** A resolver that reads the stack at most once per command. */
export function stackOutputs(context: CliContext, describe: DescribeOutputs = describeStackOutputs) {
  let described: Promise<Record<string, string>> | undefined;
  return async function output(name: string): Promise<string> {
    const fromEnv = context.env[outputVariable(name)]?.trim();
    if (fromEnv) return fromEnv;
    if (context.target.kind === 'local') {
      throw new StackOutputError(
        `The local cloud file ${context.target.file} has no ${outputVariable(name)}; restart the local cloud with --serve`,
      );
    }
    described ??= describe(context);
    const value = (await described)[name];
    if (value === undefined || value === '') {
      throw new StackOutputError(
        `Stack ${context.stack} has no output ${name}; deploy the stack (sam deploy) or set ${outputVariable(name)}`,
      );
    }
    return value;
  };
}
