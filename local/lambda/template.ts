/** Template support for Lambda: functions (SAM and plain) and their EventInvokeConfig. */
import { existsSync } from 'node:fs';
import { basename, dirname, relative, resolve, sep } from 'node:path';
import type { LocalFunction } from '../core/model.ts';
import { TemplateError } from '../template/errors.ts';
import {
  functionByArnOrName,
  isObject,
  type Json,
  num,
  type ResourceInput,
  str,
  type TemplateSupport,
} from '../template/support.ts';

/** Retries, event age and destinations of asynchronous invocations, with Lambda's defaults. */
function asyncConfig(config: Json): LocalFunction['async'] {
  const destinations = isObject(config.DestinationConfig) ? config.DestinationConfig : {};
  const destination = (key: string) => {
    const entry = destinations[key];
    return isObject(entry) && entry.Destination !== undefined ? String(entry.Destination) : undefined;
  };
  const onFailure = destination('OnFailure');
  const onSuccess = destination('OnSuccess');
  return {
    maximumRetryAttempts: num(config.MaximumRetryAttempts, 2),
    maximumEventAgeSeconds: num(config.MaximumEventAgeInSeconds, 21600),
    ...(onFailure ? { onFailure } : {}),
    ...(onSuccess ? { onSuccess } : {}),
  };
}

const SOURCE_EXTENSIONS = ['.ts', '.mts', '.js', '.mjs'];

/** The handler's source file: the esbuild entry point when the template names one, else Handler's module. */
function functionEntry(
  root: string,
  logicalId: string,
  props: Json,
  metadata: Json,
): { path: string; folder: string; handlerExport: string } {
  const handler = str(props.Handler) ?? 'index.handler';
  const dot = handler.lastIndexOf('.');
  const handlerExport = dot >= 0 ? handler.slice(dot + 1) : 'handler';
  const modulePath = dot >= 0 ? handler.slice(0, dot) : handler;
  const codeDir = resolve(root, str(props.CodeUri) ?? '.');
  const build = isObject(metadata.BuildProperties) ? metadata.BuildProperties : {};
  const entryPoint = Array.isArray(build.EntryPoints) ? str(build.EntryPoints[0]) : undefined;
  const candidates = entryPoint
    ? [resolve(codeDir, entryPoint)]
    : SOURCE_EXTENSIONS.map((ext) => resolve(codeDir, `${modulePath}${ext}`));
  const path = candidates.find((candidate) => existsSync(candidate));
  if (!path) {
    throw new TemplateError(
      `${logicalId}: handler source not found (looked for ${candidates.map((c) => relative(root, c)).join(', ')})`,
    );
  }
  const rel = relative(root, path).split(sep);
  const folder = rel[0] === 'functions' && rel.length > 2 ? (rel[1] as string) : basename(dirname(path));
  return { path, folder, handlerExport };
}

function addFunction(input: ResourceInput): void {
  const { logicalId, id, rawProps, metadata, resolve: resolveValue, root, model, addEventSources } = input;
  const { Events: events, ...rest } = rawProps;
  const props = resolveValue(rest) as Json;
  const environment =
    isObject(props.Environment) && isObject(props.Environment.Variables) ? props.Environment.Variables : {};
  const entry = functionEntry(root, logicalId, props, metadata);
  const invoke = isObject(props.EventInvokeConfig) ? props.EventInvokeConfig : {};
  const fn: LocalFunction = {
    logicalId,
    name: id.ref,
    arn: id.attrs.Arn as string,
    folder: entry.folder,
    sourceEntry: entry.path,
    handlerExport: entry.handlerExport,
    environment: Object.fromEntries(Object.entries(environment).map(([k, v]) => [k, str(v) ?? ''])),
    timeoutSeconds: num(props.Timeout, 3),
    memoryMb: num(props.MemorySize, 128),
    async: asyncConfig(invoke),
  };
  model.functions.push(fn);
  addEventSources(logicalId, fn.arn, events, 'function');
}

export const lambdaTemplate: TemplateSupport = {
  service: 'lambda',
  resources: {
    'AWS::Serverless::Function': addFunction,
    'AWS::Lambda::Function': addFunction,
    'AWS::Lambda::EventInvokeConfig'({ rawProps, resolve: resolveValue, links }) {
      links.invokeConfigs.push({
        functionRef: String(resolveValue(rawProps.FunctionName)),
        props: resolveValue(rawProps) as Json,
      });
    },
  },
  link({ model, links }) {
    for (const { functionRef, props } of links.invokeConfigs) {
      // FunctionName may be a qualified ARN (…:function:name:alias): match without the qualifier first.
      const fnId =
        functionByArnOrName(model, functionRef.split(':').slice(0, 7).join(':')) ??
        functionByArnOrName(model, functionRef);
      const fn = model.functions.find((f) => f.logicalId === fnId);
      if (!fn)
        throw new TemplateError(
          `AWS::Lambda::EventInvokeConfig refers to ${functionRef}, not a function of this template`,
        );
      fn.async = asyncConfig(props);
    }
  },
};
