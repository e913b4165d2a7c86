/**
 * Turns a real ASL definition into the one aws-local-stepfunctions runs, so that the engine's
 * control flow (Choice, Map, Parallel, Retry, Catch, paths, intrinsics) is reused while time,
 * timeouts and task dispatch follow AWS and the emulated clock:
 *
 * - Every Task keeps its state name and gets a local handler (the engine looks handlers up by
 *   state name). Its Parameters are wrapped as `{ __p: <Parameters> }` (or `{ "__p.$": "$" }`)
 *   so the engine still evaluates them, and `TimeoutSecondsPath`/`HeartbeatSecondsPath` become
 *   `__to.$`/`__hb.$` in the same wrapper: they are evaluated against the same effective input
 *   and handed to the handler, which enforces them on the emulated clock. The engine's own task
 *   timeout (60 s real time by default) is pushed out of reach.
 * - Every Wait becomes a Task with the same InputPath/OutputPath/Next/End whose handler sleeps on
 *   the emulated clock; `SecondsPath`/`TimestampPath` ride in the wrapper. Its output is its
 *   effective input, as a Wait's is.
 * - Retry `IntervalSeconds`/`MaxDelaySeconds` are divided by the clock speed, so the engine's
 *   own backoff and jitter run at emulated speed.
 * - A lost heartbeat fails as `States.HeartbeatTimeout`; ErrorEquals naming `States.Timeout`
 *   also match it, as on AWS (see mapErrorNames).
 * - The top-level `TimeoutSeconds` is removed; the executor enforces it on the emulated clock.
 */
import { DefinitionError } from './errors.ts';

/** Resource the compiled Wait states carry (never dispatched: a local handler always runs). */
export const WAIT_RESOURCE = 'arn:aws:states:::local:wait';

/** Longest timeout the engine's real-time `setTimeout` can hold without overflowing. */
const ENGINE_MAX_TIMEOUT_SECONDS = 2_147_483;

type Json = Record<string, unknown>;

export interface CompiledTask {
  stateName: string;
  kind: 'task' | 'wait';
  resource: string;
  timeoutSeconds?: number;
  heartbeatSeconds?: number;
  /** Wait states: the literal Seconds or Timestamp. */
  seconds?: number;
  timestamp?: string;
}

export interface CompiledDefinition {
  /** The definition to hand to the engine (construct it with `noValidate`). */
  definition: Json;
  /** Task and Wait states by name, nested ones included. */
  tasks: Map<string, CompiledTask>;
  /** Original state types by name, for history (compiled Waits look like Tasks to the engine). */
  stateTypes: Map<string, string>;
  /** Top-level TimeoutSeconds of the execution, if any. */
  timeoutSeconds?: number;
}

/** The wrapper key holding the evaluated Parameters / effective input. */
export interface WrappedTaskInput {
  __p: unknown;
  __to?: unknown;
  __hb?: unknown;
  __s?: unknown;
  __ts?: unknown;
}

export function compileDefinition(original: Json, clockSpeed: number): CompiledDefinition {
  const tasks = new Map<string, CompiledTask>();
  const stateTypes = new Map<string, string>();
  const definition = compileMachine(cloneJson(original), clockSpeed, tasks, stateTypes);
  const timeoutSeconds = typeof original.TimeoutSeconds === 'number' ? original.TimeoutSeconds : undefined;
  delete definition.TimeoutSeconds;
  return { definition, tasks, stateTypes, ...(timeoutSeconds !== undefined ? { timeoutSeconds } : {}) };
}

function compileMachine(
  machine: Json,
  speed: number,
  tasks: Map<string, CompiledTask>,
  stateTypes: Map<string, string>,
): Json {
  const states = (machine.States ?? {}) as Record<string, Json>;
  for (const [name, state] of Object.entries(states)) {
    if (stateTypes.has(name)) {
      // The engine keys task handlers by state name, and AWS requires unique names anyway.
      throw new DefinitionError(`State name "${name}" is used more than once`);
    }
    stateTypes.set(name, String(state.Type));
    states[name] = compileState(name, state, speed, tasks, stateTypes);
  }
  return machine;
}

function compileState(
  name: string,
  state: Json,
  speed: number,
  tasks: Map<string, CompiledTask>,
  stateTypes: Map<string, string>,
): Json {
  switch (state.Type) {
    case 'Task':
      return compileTask(name, state, speed, tasks);
    case 'Wait':
      return compileWait(name, state, tasks);
    case 'Parallel': {
      const branches = (state.Branches as Json[]).map((b) => compileMachine(b, speed, tasks, stateTypes));
      return withErrorHandling({ ...state, Branches: branches }, speed);
    }
    case 'Map': {
      const out: Json = { ...state };
      for (const key of ['ItemProcessor', 'Iterator']) {
        if (out[key]) out[key] = compileMachine(out[key] as Json, speed, tasks, stateTypes);
      }
      return withErrorHandling(out, speed);
    }
    default:
      return state;
  }
}

function compileTask(name: string, state: Json, speed: number, tasks: Map<string, CompiledTask>): Json {
  const { TimeoutSecondsPath, HeartbeatSecondsPath, HeartbeatSeconds, TimeoutSeconds, Parameters, ...rest } =
    state;
  const wrapper: Json = Parameters === undefined ? { '__p.$': '$' } : { __p: Parameters };
  if (typeof TimeoutSecondsPath === 'string') wrapper['__to.$'] = TimeoutSecondsPath;
  if (typeof HeartbeatSecondsPath === 'string') wrapper['__hb.$'] = HeartbeatSecondsPath;
  tasks.set(name, {
    stateName: name,
    kind: 'task',
    resource: String(state.Resource),
    ...(typeof TimeoutSeconds === 'number' ? { timeoutSeconds: TimeoutSeconds } : {}),
    ...(typeof HeartbeatSeconds === 'number' ? { heartbeatSeconds: HeartbeatSeconds } : {}),
  });
  delete rest.Credentials;
  return withErrorHandling(
    { ...rest, Parameters: wrapper, TimeoutSeconds: ENGINE_MAX_TIMEOUT_SECONDS },
    speed,
  );
}

function compileWait(name: string, state: Json, tasks: Map<string, CompiledTask>): Json {
  const wrapper: Json = { '__p.$': '$' };
  if (typeof state.SecondsPath === 'string') wrapper['__s.$'] = state.SecondsPath;
  if (typeof state.TimestampPath === 'string') wrapper['__ts.$'] = state.TimestampPath;
  tasks.set(name, {
    stateName: name,
    kind: 'wait',
    resource: WAIT_RESOURCE,
    ...(typeof state.Seconds === 'number' ? { seconds: state.Seconds } : {}),
    ...(typeof state.Timestamp === 'string' ? { timestamp: state.Timestamp } : {}),
  });
  const task: Json = {
    Type: 'Task',
    Resource: WAIT_RESOURCE,
    Parameters: wrapper,
    TimeoutSeconds: ENGINE_MAX_TIMEOUT_SECONDS,
  };
  for (const key of ['InputPath', 'OutputPath', 'Next', 'End', 'Comment']) {
    if (key in state) task[key] = state[key];
  }
  return task;
}

function withErrorHandling(state: Json, speed: number): Json {
  const out = { ...state };
  if (Array.isArray(state.Retry)) {
    out.Retry = (state.Retry as Json[]).map((retrier) => {
      const scaled: Json = {
        ...retrier,
        ErrorEquals: mapErrorNames(retrier.ErrorEquals),
        IntervalSeconds: ((retrier.IntervalSeconds as number | undefined) ?? 1) / speed,
      };
      if (typeof retrier.MaxDelaySeconds === 'number')
        scaled.MaxDelaySeconds = retrier.MaxDelaySeconds / speed;
      return scaled;
    });
  }
  if (Array.isArray(state.Catch)) {
    out.Catch = (state.Catch as Json[]).map((catcher) => ({
      ...catcher,
      ErrorEquals: mapErrorNames(catcher.ErrorEquals),
    }));
  }
  return out;
}

/**
 * A JSON copy made in this module's realm. Not structuredClone: under Jest's VM contexts it
 * returns objects of the outer realm, which the engine's plain-object checks reject, so payload
 * templates would silently go unevaluated.
 */
export function cloneJson<T>(value: T): T {
  return JSON.parse(JSON.stringify(value)) as T;
}

/**
 * AWS: `States.Timeout` matches a task that ran past TimeoutSeconds *or* missed its heartbeat,
 * while `States.HeartbeatTimeout` matches only the latter. The engine compares names exactly,
 * so a list naming States.Timeout also gets States.HeartbeatTimeout (the error a lost heartbeat
 * is reported as); a list naming only States.HeartbeatTimeout stays as it is.
 */
function mapErrorNames(names: unknown): string[] {
  const list = Array.isArray(names) ? names.map(String) : [];
  return [...new Set(list.flatMap((n) => (n === 'States.Timeout' ? [n, 'States.HeartbeatTimeout'] : [n])))];
}
