/**
 * The EventBridge Scheduler wire API (restJson): routes for schedules and schedule groups,
 * translated to the schedule store (model.ts).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { applyFault } from '../core/fault-response.ts';
import { sendJson, sendJsonError } from '../core/http.ts';
import type { ServiceContext } from '../core/service.ts';
import { ServiceError } from '../core/service-error.ts';
import { unknownOperation, validation } from './errors.ts';
import type { Schedule, ScheduleGroup, ScheduleInput, ScheduleStore } from './model.ts';

const CONTENT_TYPE = 'application/json';

interface Route {
  operation: string;
  run(name: string, query: URLSearchParams, body: Record<string, unknown>): unknown;
}

/** Timestamps in restJson bodies are epoch seconds. */
const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000);

function renderSchedule(schedule: Schedule) {
  return {
    Arn: schedule.arn,
    Name: schedule.name,
    GroupName: schedule.groupName,
    ScheduleExpression: schedule.scheduleExpression,
    ScheduleExpressionTimezone: schedule.timezone,
    State: schedule.state,
    Description: schedule.description,
    StartDate: seconds(schedule.startDate),
    EndDate: seconds(schedule.endDate),
    FlexibleTimeWindow: schedule.flexibleTimeWindow,
    ActionAfterCompletion: schedule.actionAfterCompletion,
    KmsKeyArn: schedule.kmsKeyArn,
    Target: schedule.target,
    CreationDate: seconds(schedule.creationDate),
    LastModificationDate: seconds(schedule.lastModificationDate),
  };
}

function renderGroup(group: ScheduleGroup) {
  return {
    Arn: group.arn,
    Name: group.name,
    State: 'ACTIVE',
    CreationDate: seconds(group.creationDate),
    LastModificationDate: seconds(group.lastModificationDate),
  };
}

/** Offset-based pagination: NextToken is the next index. */
function page<T>(items: T[], query: URLSearchParams): { items: T[]; nextToken?: string } {
  const max = query.has('MaxResults') ? Number(query.get('MaxResults')) : 100;
  if (!Number.isInteger(max) || max < 1 || max > 1000)
    throw validation('MaxResults must be between 1 and 1000.');
  const token = query.get('NextToken');
  const start = token ? Number(Buffer.from(token, 'base64url').toString()) : 0;
  if (!Number.isInteger(start) || start < 0) throw validation('Invalid NextToken.');
  const slice = items.slice(start, start + max);
  const next =
    start + max < items.length ? Buffer.from(String(start + max)).toString('base64url') : undefined;
  return { items: slice, ...(next ? { nextToken: next } : {}) };
}

/** The HTTP handler: faults injected for `scheduler`/<Operation> first, then the route. */
export function schedulerApi(ctx: ServiceContext, store: ScheduleStore) {
  const group = (query: URLSearchParams) => query.get('groupName') ?? 'default';

  const scheduleRoutes: Record<string, Route> = {
    POST: {
      operation: 'CreateSchedule',
      run: (name, _q, body) => ({ ScheduleArn: store.put(name, body as ScheduleInput, false).arn }),
    },
    PUT: {
      operation: 'UpdateSchedule',
      run: (name, _q, body) => ({ ScheduleArn: store.put(name, body as ScheduleInput, true).arn }),
    },
    GET: { operation: 'GetSchedule', run: (name, query) => renderSchedule(store.get(name, group(query))) },
    DELETE: {
      operation: 'DeleteSchedule',
      run(name, query) {
        store.delete(name, group(query));
        return {};
      },
    },
  };
  const groupRoutes: Record<string, Route> = {
    POST: {
      operation: 'CreateScheduleGroup',
      run: (name) => ({ ScheduleGroupArn: store.createGroup(name).arn }),
    },
    GET: { operation: 'GetScheduleGroup', run: (name) => renderGroup(store.requireGroup(name)) },
    DELETE: {
      operation: 'DeleteScheduleGroup',
      run(name) {
        store.deleteGroup(name);
        return {};
      },
    },
  };
  const listSchedules: Route = {
    operation: 'ListSchedules',
    run(_name, query) {
      const groupName = query.get('ScheduleGroup');
      const prefix = query.get('NamePrefix') ?? '';
      const state = query.get('State');
      if (groupName) store.requireGroup(groupName);
      const found = [...store.schedules.values()].filter(
        (s) =>
          (!groupName || s.groupName === groupName) &&
          s.name.startsWith(prefix) &&
          (!state || s.state === state),
      );
      const { items, nextToken } = page(found, query);
      return {
        Schedules: items.map((s) => ({
          Arn: s.arn,
          Name: s.name,
          GroupName: s.groupName,
          State: s.state,
          CreationDate: seconds(s.creationDate),
          LastModificationDate: seconds(s.lastModificationDate),
          Target: { Arn: s.target.Arn },
        })),
        NextToken: nextToken,
      };
    },
  };
  const listGroups: Route = {
    operation: 'ListScheduleGroups',
    run(_name, query) {
      const prefix = query.get('NamePrefix') ?? '';
      const { items, nextToken } = page(
        [...store.groups.values()].filter((g) => g.name.startsWith(prefix)),
        query,
      );
      return { ScheduleGroups: items.map(renderGroup), NextToken: nextToken };
    },
  };

  function route(method: string, path: string): { route: Route; name: string } | undefined {
    const [, collection, encodedName, ...rest] = path.split('/');
    if (rest.length > 0) return undefined;
    const name = encodedName === undefined ? '' : decodeURIComponent(encodedName);
    if (collection === 'schedules') {
      if (encodedName === undefined || encodedName === '')
        return method === 'GET' ? { route: listSchedules, name } : undefined;
      const found = scheduleRoutes[method];
      return found ? { route: found, name } : undefined;
    }
    if (collection === 'schedule-groups') {
      if (encodedName === undefined || encodedName === '')
        return method === 'GET' ? { route: listGroups, name } : undefined;
      const found = groupRoutes[method];
      return found ? { route: found, name } : undefined;
    }
    return undefined;
  }

  return async function handle(req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const matched = route(req.method ?? 'GET', url.pathname);
    const faulted = await applyFault(
      ctx.faults.take('scheduler', matched?.route.operation ?? ''),
      res,
      (fault) => sendJsonError(res, fault.status, fault.error, fault.message, CONTENT_TYPE),
    );
    if (faulted === 'handled') return;
    try {
      if (!matched) throw unknownOperation(`No operation for ${req.method} ${url.pathname}`);
      let input: Record<string, unknown> = {};
      if (body.length > 0) {
        try {
          input = JSON.parse(body.toString()) as Record<string, unknown>;
        } catch {
          throw validation('Request body is not valid JSON.');
        }
      }
      sendJson(res, 200, matched.route.run(matched.name, url.searchParams, input), CONTENT_TYPE);
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      sendJsonError(res, error.status, error.code, error.message, CONTENT_TYPE);
    }
  };
}
