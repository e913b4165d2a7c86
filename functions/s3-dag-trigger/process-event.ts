/**
 * Route each object in an S3 event to its flows and trigger their DAGs.
 *
 * Outcomes per (object, flow):
 * - triggered, or already triggered (Airflow answered 409 and the client read back the run with
 *   our deterministic run id; a 409 it cannot confirm is an UnconfirmedConflictError, dead-lettered);
 * - permanent failure (DAG missing or paused, environment gone, bad request): sent to the
 *   dead-letter queue with the reason, not retried;
 * - retryable failure (throttling, 5xx, timeouts that outlived the client's own retries):
 *   the handler throws after the whole batch, so Lambda retries the event; pairs that succeeded
 *   answer 409 on the retry and start nothing twice; when Lambda gives up the event reaches the
 *   on-failure destination (the same DLQ) with the error.
 * Objects that match no flow, or only disabled flows, start nothing and are logged.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { AirflowClient } from '../shared/airflow/client.ts';
import { AirflowError } from '../shared/airflow/errors.ts';
import type { DeadLetterSink } from '../shared/dead-letter.ts';
import { describeError, RetryableError } from '../shared/errors.ts';
import { s3Conf } from '../shared/flows/conf.ts';
import type { FlowRepository } from '../shared/flows/repository.ts';
import { routeObject } from '../shared/flows/routing.ts';
import { s3RunId } from '../shared/flows/run-ids.ts';
import { parseS3Event } from './s3-events.ts';

/** The part of the Powertools logger the core uses (tests pass a recording fake). */
export type Log = Pick<Logger, 'info' | 'warn' | 'error'>;

export interface Dependencies {
  flows: Pick<FlowRepository, 'snapshot'>;
  airflow: Pick<AirflowClient, 'triggerDagRun'>;
  deadLetter: DeadLetterSink;
  log: Log;
}

export interface Summary {
  objects: number;
  triggered: number;
  alreadyTriggered: number;
  unmatched: number;
  disabled: number;
  ignored: number;
  deadLettered: number;
  retryable: number;
}

const SOURCE = 'S3DagTriggerFunction';

export async function processS3Event(event: unknown, deps: Dependencies): Promise<Summary> {
  const parsed = parseS3Event(event);
  const summary: Summary = {
    objects: 0,
    triggered: 0,
    alreadyTriggered: 0,
    unmatched: 0,
    disabled: 0,
    ignored: 0,
    deadLettered: 0,
    retryable: 0,
  };
  if (parsed.shape === 's3-test-event') {
    deps.log.info('S3 test event received; nothing to do');
    return summary;
  }
  const retryableFailures: string[] = [];

  // One read of the flows for the whole batch (cached across invocations for a short TTL).
  const needsFlows = parsed.records.some((record) => record.kind === 'object');
  const snapshot = needsFlows ? await deps.flows.snapshot() : { flows: [], invalid: [] };
  for (const bad of snapshot.invalid) {
    deps.log.error('Flow row is invalid and was skipped', { flowId: bad.flowId, problems: bad.problems });
  }

  for (const record of parsed.records) {
    if (record.kind === 'malformed') {
      summary.deadLettered += 1;
      deps.log.error('Malformed S3 event record sent to the dead-letter queue', {
        reason: record.reason,
        index: record.index,
      });
      await deps.deadLetter.send({
        reason: `Malformed S3 event record: ${record.reason}`,
        errorName: 'ValidationError',
        source: SOURCE,
        input: {
          shape: parsed.shape,
          index: record.index,
          ...(record.bucket === undefined ? {} : { bucket: record.bucket }),
          ...(record.rawKey === undefined ? {} : { rawKey: record.rawKey }),
          ...(record.raw === undefined ? {} : { raw: record.raw }),
        },
        ...(record.replay === undefined ? {} : { replayEvent: record.replay }),
      });
      continue;
    }
    if (record.kind === 'ignored') {
      summary.ignored += 1;
      deps.log.info('S3 record ignored', { reason: record.reason, bucket: record.bucket, key: record.key });
      continue;
    }

    const { object } = record;
    summary.objects += 1;
    const { matches, disabled } = routeObject(snapshot.flows, object.bucket, object.key);
    if (matches.length === 0) {
      if (disabled.length > 0) {
        summary.disabled += 1;
        deps.log.info('Object matches only disabled flows; no DAG run started', {
          bucket: object.bucket,
          key: object.key,
          flowIds: disabled.map((flow) => flow.flowId),
        });
      } else {
        summary.unmatched += 1;
        deps.log.info('No flow matches the object; no DAG run started', {
          bucket: object.bucket,
          key: object.key,
        });
      }
      continue;
    }

    for (const { flow } of matches) {
      const runId = s3RunId(flow.flowId, object);
      const where = { flowId: flow.flowId, environment: flow.environment, dagId: flow.dagId, runId };
      try {
        const result = await deps.airflow.triggerDagRun(flow.environment, {
          dagId: flow.dagId,
          runId,
          conf: s3Conf(flow.flowId, flow.conf, object),
          onPaused: flow.onPaused,
          ...(object.eventTime === undefined ? {} : { anchorTime: object.eventTime }),
        });
        if (result.outcome === 'triggered') summary.triggered += 1;
        else summary.alreadyTriggered += 1;
        deps.log.info(
          result.outcome === 'triggered' ? 'DAG run triggered' : 'DAG run already exists; duplicate delivery',
          {
            ...where,
            bucket: object.bucket,
            key: object.key,
            unpaused: result.unpaused,
          },
        );
      } catch (error) {
        const { name, message } = describeError(error);
        if (error instanceof AirflowError && error.retryable) {
          summary.retryable += 1;
          retryableFailures.push(`${flow.flowId} (${object.key}): ${name}`);
          deps.log.warn('Trigger failed with a retryable error; the event will be retried', {
            ...where,
            error: name,
            message,
          });
          continue;
        }
        summary.deadLettered += 1;
        deps.log.error('Trigger failed; sent to the dead-letter queue', { ...where, error: name, message });
        await deps.deadLetter.send({
          reason: message,
          errorName: name,
          source: SOURCE,
          flowId: flow.flowId,
          environment: flow.environment,
          dagId: flow.dagId,
          input: {
            bucket: object.bucket,
            key: object.key,
            versionId: object.versionId,
            sequencer: object.sequencer,
            runId,
          },
          replayEvent: record.replay,
        });
      }
    }
  }

  if (retryableFailures.length > 0) {
    throw new RetryableError(
      `${retryableFailures.length} trigger(s) failed with retryable errors: ${retryableFailures.join('; ')}`.slice(
        0,
        1000,
      ),
    );
  }
  return summary;
}
