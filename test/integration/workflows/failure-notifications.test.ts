/**
 * What reaches the notification topic when a workflow fails because a function threw: the
 * error's name and message, never its stack (file paths and line numbers of the bundle). The
 * unchanged EnvironmentOpsFunction bundle and the real pause workflow on the local cloud, from
 * template.yaml; the topic's subscribers (e-mail, chat) see exactly what SNS recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { type LocalCloud, startLocalCloud } from '../../../local/index.ts';
import { createAvailableEnvironment } from '../../helpers/environments.ts';

let cloud: LocalCloud;

beforeAll(async () => {
  cloud = await startLocalCloud({ clockSpeed: 2000 });
}, 120_000);

afterAll(async () => {
  await cloud?.stop();
});

describe('Workflow failure notifications', () => {
  it('carry the error name and message but no stack trace', async () => {
    // MetadataTransferFunction's countRunning fails (MWAA refuses the REST call): a Lambda error
    // whose cause the pause workflow ends with.
    await createAvailableEnvironment(cloud, 'notify-dev', '2.10.3');
    cloud.faults.inject({ service: 'mwaa', operation: 'InvokeRestApi', error: 'AccessDeniedException' });
    const arn = await cloud.startExecution(cloud.ref('PauseEnvironmentStateMachine'), {
      environment: 'notify-dev',
    });
    const outcome = await cloud.waitForExecution(arn, { timeoutMs: 60_000 });
    expect(outcome.status).toBe('FAILED');

    const notifications = () =>
      cloud.sns
        .messages(cloud.ref('NotificationTopic'))
        .map((m) => JSON.parse(m.message) as { detail: { executionArn: string; cause?: string } })
        .filter((event) => event.detail.executionArn === arn);
    // The status event travels EventBridge -> SNS after the execution ends.
    for (let i = 0; i < 100 && notifications().length === 0; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const notified = notifications();
    expect(notified).toHaveLength(1);
    const cause = notified[0]?.detail.cause ?? '';
    expect(JSON.parse(cause)).toMatchObject({
      errorType: expect.any(String),
      errorMessage: expect.any(String),
    });
    expect(cause).not.toMatch(/\bat .*[/\\]|\.(m?js|ts):\d+/);
    // The frames are not lost: the function's log has them.
    const logged = cloud.logs('MetadataTransferFunction').join('\n');
    expect(logged).toContain('"invocation failed"');
    expect(logged).toMatch(/\.(m?js|ts):\d+/);
  }, 90_000);
});
