/**
 * The checks that guard template.yaml. Each takes a parsed template and the project root (the
 * folder CodeUri, DefinitionUri and events/ are relative to) and returns human-readable problems;
 * an empty list means the template passes. The template tests apply them to the real template and
 * to fixtures that are deliberately broken, so every check is shown to fail when it should.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, normalize, relative, sep } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { functionBundleOptions } from '../../scripts/esbuild-options.ts';
import { didYouMean } from './closest-name.ts';
import { bareValueProblems, findPlaceholders, substitute } from './definition-substitutions.ts';
import { exportedNames } from './module-exports.ts';
import {
  isIntrinsic,
  isPlainObject,
  resourcesOf,
  type Template,
  type TemplateResource,
} from './template-file.ts';

/** A template check: problems found, empty when the template passes. */
export type TemplateCheck = (template: Template, root: string) => string[];

const FUNCTION_TYPE = 'AWS::Serverless::Function';
const STATE_MACHINE_TYPE = 'AWS::Serverless::StateMachine';

/** Runtime and architecture every function gets from Globals (docs/architecture.md §3). */
export const RUNTIME = 'nodejs24.x';
export const ARCHITECTURES = ['arm64'];

/** docs/architecture.md §4: logical ids that tests and tools rely on, and the type each must have. */
export const CONTRACT_RESOURCE_TYPES: Readonly<Record<string, string>> = {
  S3DagTriggerFunction: FUNCTION_TYPE,
  ScheduledDagTriggerFunction: FUNCTION_TYPE,
  AuthenticatorFunction: FUNCTION_TYPE,
  MetadataTransferFunction: FUNCTION_TYPE,
  PauseEnvironmentStateMachine: STATE_MACHINE_TYPE,
  ResumeEnvironmentStateMachine: STATE_MACHINE_TYPE,
  UpgradeEnvironmentStateMachine: STATE_MACHINE_TYPE,
  FlowsTable: 'AWS::DynamoDB::Table',
  RbacTable: 'AWS::DynamoDB::Table',
  EnvironmentsTable: 'AWS::DynamoDB::Table',
  LandingBucket: 'AWS::S3::Bucket',
  BackupBucket: 'AWS::S3::Bucket',
  NotificationTopic: 'AWS::SNS::Topic',
};

/** docs/architecture.md §4: the function folder behind each contract function. */
export const CONTRACT_FUNCTION_FOLDERS: Readonly<Record<string, string>> = {
  S3DagTriggerFunction: 's3-dag-trigger',
  ScheduledDagTriggerFunction: 'scheduled-dag-trigger',
  AuthenticatorFunction: 'authenticator',
  MetadataTransferFunction: 'metadata-transfer',
};

/**
 * `Metadata.BuildProperties` every function must carry besides `EntryPoints`, derived from
 * scripts/esbuild-options.ts so `sam build` and `npm run build` produce the same bundle.
 * SAM passes each value to the esbuild CLI: `MainFields` as `--main-fields=<value>` (so a
 * comma-separated string), `OutExtension` and `Banner` as one `--out-extension:<item>` /
 * `--banner:<item>` per list item.
 */
export function expectedBuildProperties(): Record<string, unknown> {
  const options = functionBundleOptions;
  return {
    Format: options.format,
    Target: options.target,
    Minify: options.minify,
    Sourcemap: options.sourcemap,
    Splitting: options.splitting,
    MainFields: options.mainFields?.join(','),
    // npm run build names the bundle index.mjs through `outfile`; SAM names it after the entry
    // point, so the extension is mapped instead. `.mjs` makes Lambda load the bundle as ESM.
    OutExtension: ['.js=.mjs'],
    Banner: Object.entries(options.banner ?? {}).map(([kind, text]) => `${kind}=${text}`),
  };
}

function serverlessResources(template: Template, type: string): Array<[string, TemplateResource]> {
  return resourcesOf(template).filter(([, resource]) => resource.Type === type);
}

/** Project-relative path with forward slashes, for messages. */
function projectPath(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

/**
 * Every function: built by esbuild from `functions/<name>/index.ts` with CodeUri at the project root
 * (SAM copies CodeUri to a scratch folder before bundling, so only a root CodeUri lets the bundle
 * reach functions/shared), a handler that the entry point exports, and BuildProperties that agree
 * with scripts/esbuild-options.ts.
 */
export const checkFunctions: TemplateCheck = (template, root) => {
  const globals = template.Globals?.Function ?? {};
  const problems: string[] = [];
  const expected = expectedBuildProperties();
  for (const [logicalId, resource] of serverlessResources(template, FUNCTION_TYPE)) {
    const where = `Resources.${logicalId}`;
    const properties = resource.Properties ?? {};
    const codeUri = properties.CodeUri ?? globals.CodeUri;
    if (codeUri !== './' && codeUri !== '.') {
      problems.push(
        `${where}: CodeUri must be the project root ./ (set in Globals) so the bundle can import functions/shared; got ${JSON.stringify(codeUri)}`,
      );
      continue;
    }
    const metadata = resource.Metadata;
    if (!isPlainObject(metadata) || metadata.BuildMethod !== 'esbuild') {
      problems.push(`${where}.Metadata.BuildMethod: must be esbuild`);
      continue;
    }
    const build = metadata.BuildProperties;
    if (!isPlainObject(build)) {
      problems.push(`${where}.Metadata.BuildProperties: missing`);
      continue;
    }
    for (const [name, value] of Object.entries(expected)) {
      if (!isDeepStrictEqual(build[name], value)) {
        problems.push(
          `${where}.Metadata.BuildProperties.${name}: must be ${JSON.stringify(value)} to match scripts/esbuild-options.ts; got ${JSON.stringify(build[name])}`,
        );
      }
    }
    const known = ['EntryPoints', ...Object.keys(expected)];
    for (const name of Object.keys(build)) {
      if (!known.includes(name)) {
        problems.push(
          `${where}.Metadata.BuildProperties.${name}: not used by scripts/esbuild-options.ts (sam build and npm run build would differ)${didYouMean(name, known)}`,
        );
      }
    }

    const entryPoints = build.EntryPoints;
    const entry = Array.isArray(entryPoints) && entryPoints.length === 1 ? entryPoints[0] : undefined;
    const folder =
      typeof entry === 'string' ? /^functions\/([a-z0-9][a-z0-9-]*)\/index\.ts$/.exec(entry)?.[1] : undefined;
    if (typeof entry !== 'string' || folder === undefined || folder === 'shared') {
      problems.push(
        `${where}.Metadata.BuildProperties.EntryPoints: must be exactly one entry functions/<name>/index.ts; got ${JSON.stringify(entryPoints)}`,
      );
      continue;
    }
    const contractFolder = CONTRACT_FUNCTION_FOLDERS[logicalId];
    if (contractFolder !== undefined && folder !== contractFolder) {
      problems.push(
        `${where}.Metadata.BuildProperties.EntryPoints: ${logicalId} lives in functions/${contractFolder} (docs/architecture.md §4); got ${entry}`,
      );
    }
    const handler = properties.Handler ?? globals.Handler;
    const match = typeof handler === 'string' ? /^index\.([A-Za-z_$][\w$]*)$/.exec(handler) : null;
    if (match === null) {
      problems.push(
        `${where}.Properties.Handler: must be index.<export> (the bundle of ${entry} is index.mjs); got ${JSON.stringify(handler)}`,
      );
      continue;
    }
    const exportName = match[1]!;
    const file = join(root, normalize(codeUri), entry);
    const exported = exportedNames(file);
    if (exported === undefined) {
      problems.push(`${where}.Metadata.BuildProperties.EntryPoints: ${entry} does not exist`);
    } else if (!exported.has(exportName)) {
      problems.push(
        `${where}.Properties.Handler: ${entry} does not export ${exportName}${didYouMean(exportName, exported)}`,
      );
    }
  }
  return problems;
};

/** Runtime and architecture are set once in Globals.Function and never overridden. */
export const checkRuntimeGlobals: TemplateCheck = (template) => {
  const globals = template.Globals?.Function;
  const problems: string[] = [];
  if (globals?.Runtime !== RUNTIME) {
    problems.push(`Globals.Function.Runtime: must be ${RUNTIME}; got ${JSON.stringify(globals?.Runtime)}`);
  }
  if (!isDeepStrictEqual(globals?.Architectures, ARCHITECTURES)) {
    problems.push(
      `Globals.Function.Architectures: must be ${JSON.stringify(ARCHITECTURES)}; got ${JSON.stringify(globals?.Architectures)}`,
    );
  }
  for (const [logicalId, resource] of serverlessResources(template, FUNCTION_TYPE)) {
    for (const name of ['Runtime', 'Architectures']) {
      if (resource.Properties?.[name] !== undefined) {
        problems.push(
          `Resources.${logicalId}.Properties.${name}: set in Globals.Function only, not per function`,
        );
      }
    }
  }
  return problems;
};

// asl-validator is CommonJS without type declarations; this is the part of its API we use.
interface AslValidation {
  isValid: boolean;
  errorsText(separator?: string): string;
}
type AslValidator = (
  definition: unknown,
  options?: { checkPaths: boolean; checkArn: boolean },
) => AslValidation;
const aslValidator = createRequire(import.meta.url)('asl-validator') as AslValidator;

/**
 * Every state machine: a DefinitionUri under statemachines/, placeholders and
 * DefinitionSubstitutions that match both ways, JSONPath only, and a definition that is valid
 * Amazon States Language once substituted.
 */
export const checkStateMachines: TemplateCheck = (template, root) => {
  const problems: string[] = [];
  for (const [logicalId, resource] of serverlessResources(template, STATE_MACHINE_TYPE)) {
    const where = `Resources.${logicalId}`;
    const properties = resource.Properties ?? {};
    const uri = properties.DefinitionUri;
    if (typeof uri !== 'string' || !/^statemachines\/[^/]+\.asl\.json$/.test(uri)) {
      problems.push(
        `${where}.Properties.DefinitionUri: must be statemachines/<name>.asl.json; got ${JSON.stringify(uri)}`,
      );
      continue;
    }
    const file = join(root, uri);
    if (!existsSync(file)) {
      problems.push(`${where}.Properties.DefinitionUri: ${uri} does not exist`);
      continue;
    }
    const text = readFileSync(file, 'utf8');
    const rawSubstitutions = properties.DefinitionSubstitutions ?? {};
    if (!isPlainObject(rawSubstitutions) || isIntrinsic(rawSubstitutions)) {
      problems.push(`${where}.Properties.DefinitionSubstitutions: must be a literal map`);
      continue;
    }
    const placeholders = findPlaceholders(text);
    const used = new Set(placeholders.map((placeholder) => placeholder.name));
    const undefinedNames = [...used].filter((name) => !(name in rawSubstitutions));
    for (const name of undefinedNames) {
      problems.push(`${where}: \${${name}} in ${uri} has no entry in DefinitionSubstitutions`);
    }
    for (const name of Object.keys(rawSubstitutions)) {
      if (!used.has(name)) {
        problems.push(
          `${where}.Properties.DefinitionSubstitutions.${name}: not used in ${uri}${didYouMean(name, used)}`,
        );
      }
    }
    // CloudFormation would accept a placeholder outside a JSON string (the only way to substitute
    // a number), but here the file must be JSON as written: `npm run lint` parses it, and the local
    // cloud parses it before substituting. Numbers are written literally or read from the input.
    const bare = new Set(placeholders.filter((placeholder) => !placeholder.inString).map(({ name }) => name));
    for (const name of bare) {
      problems.push(
        `${where}: ${uri}: \${${name}} stands outside a JSON string; write the value literally or read it from the input (SecondsPath, TimeoutSecondsPath, HeartbeatSecondsPath)`,
      );
    }
    for (const problem of bareValueProblems(text, rawSubstitutions)) {
      problems.push(`${where}: ${uri}: ${problem}`);
    }
    if (/"QueryLanguage"\s*:\s*"JSONata"/.test(text)) {
      problems.push(
        `${where}: ${uri} uses QueryLanguage JSONata; definitions must use JSONPath (docs/architecture.md §6)`,
      );
      // The JSONata rules would only add complaints about a definition that is already rejected.
      continue;
    }
    // Without a value for every placeholder the substituted text is not the deployed definition.
    if (undefinedNames.length > 0) continue;
    let definition: unknown;
    try {
      definition = JSON.parse(substitute(text, rawSubstitutions));
    } catch (error) {
      problems.push(`${where}: ${uri} is not JSON after substitution: ${(error as Error).message}`);
      continue;
    }
    // asl-validator writes a default QueryLanguage into the object it is given.
    const validation = aslValidator(structuredClone(definition), { checkPaths: true, checkArn: true });
    if (!validation.isValid) {
      for (const line of validation.errorsText('\n').split('\n')) problems.push(`${where}: ${uri}: ${line}`);
    }
  }
  return problems;
};

function jsonFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile() && entry.name.endsWith('.json'))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/** Every sample event under events/ parses as JSON (they feed `sam local invoke -e` and the tests). */
export const checkEvents: TemplateCheck = (_template, root) => {
  const problems: string[] = [];
  for (const file of jsonFiles(join(root, 'events'))) {
    try {
      JSON.parse(readFileSync(file, 'utf8'));
    } catch (error) {
      problems.push(`${projectPath(root, file)}: not valid JSON: ${(error as Error).message}`);
    }
  }
  return problems;
};

/**
 * Contract logical ids have the type docs/architecture.md §4 implies, and the naming convention holds for
 * every resource: `…Function` is an AWS::Serverless::Function, `…StateMachine` an
 * AWS::Serverless::StateMachine.
 */
export const checkContractLogicalIds: TemplateCheck = (template) => {
  const problems: string[] = [];
  for (const [logicalId, resource] of resourcesOf(template)) {
    const expected =
      CONTRACT_RESOURCE_TYPES[logicalId] ??
      (logicalId.endsWith('Function')
        ? FUNCTION_TYPE
        : logicalId.endsWith('StateMachine')
          ? STATE_MACHINE_TYPE
          : undefined);
    if (expected !== undefined && resource.Type !== expected) {
      problems.push(`Resources.${logicalId}.Type: must be ${expected}; got ${resource.Type}`);
    }
  }
  return problems;
};

/**
 * Resources whose data must outlive the stack (docs/template-conventions.md#deletion-policies):
 * what operators put there is in no template, and backups without their key are unreadable.
 */
export const RETAINED_RESOURCES: readonly string[] = [
  'BackupBucket',
  'BackupKey',
  'EnvironmentsTable',
  'FlowsTable',
  'RbacTable',
  'LandingBucket',
];

const POLICY_ATTRIBUTES = ['DeletionPolicy', 'UpdateReplacePolicy'];

/**
 * The retained resources keep `Retain` for both policies, and every S3 bucket states its
 * policies: cfn-lint's I3011 asks for explicit policies on stateful resources but skips buckets,
 * because CloudFormation refuses to delete a non-empty one.
 */
export const checkDeletionPolicies: TemplateCheck = (template) => {
  const problems: string[] = [];
  for (const [logicalId, resource] of resourcesOf(template)) {
    const retained = RETAINED_RESOURCES.includes(logicalId);
    if (!retained && resource.Type !== 'AWS::S3::Bucket') continue;
    for (const attribute of POLICY_ATTRIBUTES) {
      const value = resource[attribute];
      if (retained && value !== 'Retain') {
        problems.push(
          `Resources.${logicalId}.${attribute}: must be Retain (its data must survive a stack delete or replacement); ${value === undefined ? 'not set' : `got ${JSON.stringify(value)}`}`,
        );
      } else if (value === undefined) {
        problems.push(`Resources.${logicalId}.${attribute}: an S3 bucket must state it (Retain or Delete)`);
      }
    }
  }
  return problems;
};

/** Every check by name, in the order the template tests report them. */
export const templateChecks: Readonly<Record<string, TemplateCheck>> = {
  checkFunctions,
  checkRuntimeGlobals,
  checkStateMachines,
  checkEvents,
  checkContractLogicalIds,
  checkDeletionPolicies,
};
