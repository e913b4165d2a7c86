/** Reading an MWAA environment where "it does not exist" is an answer, not an error. */
import { GetEnvironmentCommand, type MWAAClient } from '@aws-sdk/client-mwaa';

/** The environment as GetEnvironment describes it, or undefined when MWAA has none by that name. */
export async function existingEnvironment(mwaa: Pick<MWAAClient, 'send'>, name: string) {
  try {
    const out = await mwaa.send(new GetEnvironmentCommand({ Name: name }));
    return out.Environment;
  } catch (error) {
    if ((error as Error).name === 'ResourceNotFoundException') return undefined;
    throw error;
  }
}
