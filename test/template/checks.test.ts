import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { type TemplateCheck, templateChecks } from './checks.ts';
import { loadTemplate } from './template-file.ts';

// The template checks must fail on a deliberately broken template. fixtures/project is a small
// valid project (template, function source, state machine, sample event); each template under
// fixtures/broken is a copy of its template with one mistake, checked against the same files.
// Mistakes in CloudFormation and SAM syntax are cfn-lint's job: cfn-lint.test.ts.
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const project = join(fixtures, 'project');
const broken = (name: string) => loadTemplate(join(fixtures, 'broken', `${name}.yaml`));
const check = (name: keyof typeof templateChecks): TemplateCheck => templateChecks[name]!;

describe('template checks: the good fixture', () => {
  const good = loadTemplate(join(project, 'template.yaml'));

  it.each(Object.keys(templateChecks))('%s reports nothing', (name) => {
    expect(check(name)(good, project)).toEqual([]);
  });
});

describe('template checks: deliberately broken fixtures', () => {
  const sm = 'Resources.HelloStateMachine';
  const fn = 'Resources.HelloFunction';
  const cases: Array<[fixture: string, check: string, problems: string[]]> = [
    [
      'undefined-substitution',
      'checkStateMachines',
      [
        `${sm}: \${NotificationTopicArn} in statemachines/hello.asl.json has no entry in DefinitionSubstitutions`,
      ],
    ],
    [
      'unused-substitution',
      'checkStateMachines',
      [
        `${sm}.Properties.DefinitionSubstitutions.LandingBucketName: not used in statemachines/hello.asl.json`,
      ],
    ],
    [
      'bare-placeholder',
      'checkStateMachines',
      [
        `${sm}: statemachines/bare-placeholder.asl.json: \${WaitSeconds} stands outside a JSON string; write the value literally or read it from the input (SecondsPath, TimeoutSecondsPath, HeartbeatSecondsPath)`,
      ],
    ],
    [
      'invalid-asl',
      'checkStateMachines',
      [
        `${sm}: statemachines/invalid.asl.json: MISSING_TRANSITION_TARGET: State Notify is not reachable`,
        `${sm}: statemachines/invalid.asl.json: MISSING_TRANSITION_TARGET: Missing 'StartAt'|'Next'|'Default' target: Notfy`,
      ],
    ],
    [
      'jsonata',
      'checkStateMachines',
      [
        `${sm}: statemachines/jsonata.asl.json uses QueryLanguage JSONata; definitions must use JSONPath (docs/architecture.md §6)`,
      ],
    ],
    [
      'missing-handler-file',
      'checkFunctions',
      [`${fn}.Metadata.BuildProperties.EntryPoints: functions/goodbye/index.ts does not exist`],
    ],
    [
      'missing-handler-export',
      'checkFunctions',
      [
        `${fn}.Properties.Handler: functions/no-handler/index.ts does not export handler (did you mean handle?)`,
      ],
    ],
    [
      'build-properties-mismatch',
      'checkFunctions',
      [
        `${fn}.Metadata.BuildProperties.Format: must be "esm" to match scripts/esbuild-options.ts; got "cjs"`,
        `${fn}.Metadata.BuildProperties.External: not used by scripts/esbuild-options.ts (sam build and npm run build would differ)`,
      ],
    ],
    [
      'code-uri-not-root',
      'checkFunctions',
      [
        `${fn}: CodeUri must be the project root ./ (set in Globals) so the bundle can import functions/shared; got "functions/hello/"`,
      ],
    ],
    [
      'runtime-override',
      'checkRuntimeGlobals',
      [`${fn}.Properties.Runtime: set in Globals.Function only, not per function`],
    ],
    [
      'contract-id-wrong-type',
      'checkContractLogicalIds',
      ['Resources.FlowsTable.Type: must be AWS::DynamoDB::Table; got AWS::S3::Bucket'],
    ],
    [
      'retained-resource-delete',
      'checkDeletionPolicies',
      [
        'Resources.FlowsTable.DeletionPolicy: must be Retain (its data must survive a stack delete or replacement); got "Delete"',
        'Resources.FlowsTable.UpdateReplacePolicy: must be Retain (its data must survive a stack delete or replacement); not set',
      ],
    ],
  ];

  it.each(cases)('%s: %s reports the mistake', (fixture, name, problems) => {
    expect(check(name)(broken(fixture), project)).toEqual(problems);
  });

  it('checkEvents reports a sample event that is not JSON', () => {
    const root = join(fixtures, 'broken-events');
    expect(check('checkEvents')({}, root)).toEqual([
      expect.stringMatching(/^events\/truncated\.json: not valid JSON: /),
    ]);
  });
});
