/**
 * The environment snapshot: GetEnvironment output turned into CreateEnvironment input.
 *
 * GetEnvironment output is not CreateEnvironment input (NOTES.md): output-only fields (Arn,
 * Status, CreatedAt, ServiceRoleArn, WebserverUrl, LastUpdate, CeleryExecutorQueue, VPC endpoint
 * services, …), nested `CloudWatchLogGroupArn`, `aws:`-prefixed tags and empty maps must go.
 * An allow-list keeps it right when MWAA adds new output fields.
 */
import { createHash } from 'node:crypto';

type Json = Record<string, unknown>;

/** Top-level fields CreateEnvironment accepts. */
const CREATE_FIELDS = [
  'Name',
  'ExecutionRoleArn',
  'SourceBucketArn',
  'DagS3Path',
  'NetworkConfiguration',
  'PluginsS3Path',
  'PluginsS3ObjectVersion',
  'RequirementsS3Path',
  'RequirementsS3ObjectVersion',
  'StartupScriptS3Path',
  'StartupScriptS3ObjectVersion',
  'AirflowConfigurationOptions',
  'EnvironmentClass',
  'MaxWorkers',
  'MinWorkers',
  'MaxWebservers',
  'MinWebservers',
  'Schedulers',
  'KmsKey',
  'AirflowVersion',
  'LoggingConfiguration',
  'WeeklyMaintenanceWindowStart',
  'Tags',
  'WebserverAccessMode',
  'EndpointManagement',
] as const;

const LOG_KINDS = ['DagProcessingLogs', 'SchedulerLogs', 'WebserverLogs', 'WorkerLogs', 'TaskLogs'] as const;

const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function networkConfiguration(value: unknown): Json | undefined {
  if (!isObject(value)) return undefined;
  const out: Json = {};
  if (Array.isArray(value.SubnetIds) && value.SubnetIds.length) out.SubnetIds = [...value.SubnetIds];
  if (Array.isArray(value.SecurityGroupIds) && value.SecurityGroupIds.length)
    out.SecurityGroupIds = [...value.SecurityGroupIds];
  return Object.keys(out).length ? out : undefined;
}

function loggingConfiguration(value: unknown): Json | undefined {
  if (!isObject(value)) return undefined;
  const out: Json = {};
  for (const kind of LOG_KINDS) {
    const entry = value[kind];
    if (!isObject(entry)) continue;
    // Output adds CloudWatchLogGroupArn; input takes only Enabled and LogLevel.
    const kept: Json = {};
    if (typeof entry.Enabled === 'boolean') kept.Enabled = entry.Enabled;
    if (typeof entry.LogLevel === 'string') kept.LogLevel = entry.LogLevel;
    if (Object.keys(kept).length) out[kind] = kept;
  }
  return Object.keys(out).length ? out : undefined;
}

function tags(value: unknown): Json | undefined {
  if (!isObject(value)) return undefined;
  const out = Object.fromEntries(
    Object.entries(value).filter(([key]) => !key.toLowerCase().startsWith('aws:')),
  );
  return Object.keys(out).length ? out : undefined;
}

function stringMap(value: unknown): Json | undefined {
  if (!isObject(value)) return undefined;
  const out = Object.fromEntries(Object.entries(value).filter(([, v]) => typeof v === 'string'));
  return Object.keys(out).length ? out : undefined;
}

/** CreateEnvironment input recreating the environment GetEnvironment described. */
export function sanitizeSnapshot(environment: Json): Json {
  const out: Json = {};
  for (const field of CREATE_FIELDS) {
    const value = environment[field];
    if (value === undefined || value === null || value === '') continue;
    let kept: unknown = value;
    if (field === 'NetworkConfiguration') kept = networkConfiguration(value);
    else if (field === 'LoggingConfiguration') kept = loggingConfiguration(value);
    else if (field === 'Tags') kept = tags(value);
    else if (field === 'AirflowConfigurationOptions') kept = stringMap(value);
    else if (isObject(value) || Array.isArray(value)) kept = structuredClone(value);
    if (kept !== undefined) out[field] = kept;
  }
  return out;
}

/**
 * The settings of a snapshot that decide what the recreated environment runs, as whom, from
 * where and on which network: a rewritten environment.json that changed one of them would make
 * CreateEnvironment run another role, another DAG bucket, another startup script. They are
 * recorded in EnvironmentsTable (`lastVerifiedBackup.recreation`) from GetEnvironment by the
 * function, and resume refuses a snapshot that disagrees (docs/pause-resume.md "Isolation").
 * AirflowConfigurationOptions may hold secrets (an SMTP password, secrets-backend kwargs), so
 * only their SHA-256 is recorded.
 */
export const RECREATION_FIELDS = [
  'AirflowVersion',
  'ExecutionRoleArn',
  'SourceBucketArn',
  'DagS3Path',
  'PluginsS3Path',
  'PluginsS3ObjectVersion',
  'RequirementsS3Path',
  'RequirementsS3ObjectVersion',
  'StartupScriptS3Path',
  'StartupScriptS3ObjectVersion',
  'NetworkConfiguration',
  'KmsKey',
  'WebserverAccessMode',
  'EndpointManagement',
] as const;

export const OPTIONS_DIGEST_FIELD = 'AirflowConfigurationOptionsSha256';

/** JSON with object keys sorted at every level: equal values give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isObject(value))
    return `{${Object.keys(value)
      .sort()
      .filter((key) => value[key] !== undefined)
      .map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

/** The recreation-critical settings of a sanitized snapshot (see RECREATION_FIELDS). */
export function recreationFields(snapshot: Json): Json {
  const out: Json = {};
  for (const field of RECREATION_FIELDS) {
    if (snapshot[field] !== undefined) out[field] = structuredClone(snapshot[field]);
  }
  out[OPTIONS_DIGEST_FIELD] = createHash('sha256')
    .update(canonicalJson(snapshot.AirflowConfigurationOptions ?? {}))
    .digest('hex');
  return out;
}

/** Names of the recreation-critical settings whose values differ between two records. */
export function recreationDifferences(recorded: Json, actual: Json): string[] {
  const keys = new Set([...Object.keys(recorded), ...Object.keys(actual)]);
  return [...keys].filter((key) => canonicalJson(recorded[key]) !== canonicalJson(actual[key])).sort();
}
