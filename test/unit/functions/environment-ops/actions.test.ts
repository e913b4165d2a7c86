import { describe, expect, it } from '@jest/globals';
import {
  canaryRunId,
  canaryStatus,
  type EnvironmentOpsDeps,
  handleEnvironmentOp,
  triggerCanary,
  validateUpgrade,
} from '../../../../functions/environment-ops/actions.ts';
import { DagNotFoundError } from '../../../../functions/shared/airflow/index.ts';

function fakeDeps(options: { runState?: string; missingDag?: boolean } = {}) {
  const calls: Array<{ kind: string; args: unknown[] }> = [];
  const deps: EnvironmentOpsDeps = {
    airflow: {
      reset: () => {
        calls.push({ kind: 'reset', args: [] });
      },
      triggerDagRun: async (environment, request) => {
        calls.push({ kind: 'trigger', args: [environment, request] });
        if (options.missingDag) throw new DagNotFoundError('no such DAG');
        return { outcome: 'triggered', runId: request.runId, unpaused: false };
      },
      rest: async (environment, request) => {
        calls.push({ kind: 'rest', args: [environment, request] });
        return { status: 200, body: { state: options.runState ?? 'running' } };
      },
    },
    log: { info: () => {}, warn: () => {} },
  };
  return { deps, calls };
}

const ARN = 'arn:aws:states:us-east-1:1:execution:UpgradeEnvironmentStateMachine:upgrade-dev-1';

describe('Function: environment-ops', () => {
  describe('validateUpgrade', () => {
    it('allows a minor upgrade and builds the UpdateEnvironment request', () => {
      expect(
        validateUpgrade({
          environment: 'dev',
          currentVersion: '2.10.3',
          targetVersion: '2.11.0',
          artifacts: { RequirementsS3ObjectVersion: 'v7' },
        }),
      ).toMatchObject({
        allowed: true,
        noop: false,
        kind: 'upgrade',
        updateRequest: { Name: 'dev', AirflowVersion: '2.11.0', RequirementsS3ObjectVersion: 'v7' },
      });
    });

    it('refuses 2.10.3 → 3.0.6 with the reason, and marks the same version a no-op', () => {
      const refused = validateUpgrade({
        environment: 'dev',
        currentVersion: '2.10.3',
        targetVersion: '3.0.6',
      });
      expect(refused).toMatchObject({ allowed: false, noop: false });
      expect(refused.reason).toContain('2.11');
      expect(
        validateUpgrade({ environment: 'dev', currentVersion: '2.11.0', targetVersion: '2.11.0' }),
      ).toMatchObject({
        allowed: false,
        noop: true,
      });
    });

    it('rejects artifacts other than the three object versions', () => {
      expect(() =>
        validateUpgrade({
          environment: 'dev',
          currentVersion: '2.10.3',
          targetVersion: '2.11.0',
          artifacts: { EnvironmentClass: 'mw1.large' },
        }),
      ).toThrow('not one of');
    });

    it('rejects a canary DAG id that is invalid or too long for InvokeRestApi', () => {
      const base = { environment: 'dev', currentVersion: '2.10.3', targetVersion: '2.11.0' };
      expect(() => validateUpgrade({ ...base, canaryDag: 'bad id' })).toThrow('not a valid DAG id');
      expect(() => validateUpgrade({ ...base, canaryDag: 'x'.repeat(40) })).toThrow('too long');
      expect(validateUpgrade({ ...base, canaryDag: '' }).allowed).toBe(true);
    });
  });

  describe('canary', () => {
    it('derives one short run id per execution', () => {
      expect(canaryRunId(ARN)).toBe(canaryRunId(ARN));
      expect(canaryRunId(ARN)).not.toBe(canaryRunId(`${ARN}x`));
      expect(canaryRunId(ARN)).toMatch(/^mwaa_ops_canary__[0-9a-f]{12}$/);
    });

    it('triggers with the derived run id after forgetting the cached version', async () => {
      const { deps, calls } = fakeDeps();
      const out = await triggerCanary({ environment: 'dev', dagId: 'smoke', executionArn: ARN }, deps);
      expect(out).toEqual({ dagId: 'smoke', runId: canaryRunId(ARN), outcome: 'triggered' });
      expect(calls.map((c) => c.kind)).toEqual(['reset', 'trigger']);
      expect(calls[1]?.args[1]).toMatchObject({
        dagId: 'smoke',
        runId: canaryRunId(ARN),
        onPaused: 'unpause',
      });
    });

    it('names a missing canary DAG as CanaryTriggerError', async () => {
      const { deps } = fakeDeps({ missingDag: true });
      await expect(
        triggerCanary({ environment: 'dev', dagId: 'smoke', executionArn: ARN }, deps),
      ).rejects.toMatchObject({
        name: 'CanaryTriggerError',
      });
    });

    it.each([
      ['running', false, false],
      ['success', true, true],
      ['failed', true, false],
    ])('reports a %s run as finished=%s succeeded=%s', async (state, finished, succeeded) => {
      const { deps, calls } = fakeDeps({ runState: state });
      const out = await canaryStatus({ environment: 'dev', dagId: 'smoke', runId: 'r1' }, deps);
      expect(out).toEqual({ dagId: 'smoke', runId: 'r1', state, finished, succeeded });
      expect(calls[0]?.args[1]).toEqual({ method: 'GET', path: '/dags/smoke/dagRuns/r1' });
    });
  });

  it('rejects unknown actions with ValidationError', async () => {
    await expect(handleEnvironmentOp({ action: 'nope' }, fakeDeps().deps)).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });
});
