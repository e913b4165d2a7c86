import { beforeAll, describe, expect, it } from '@jest/globals';
import { type CfnLintFinding, cfnLint, samValidate, tool } from './tools.ts';

// template.yaml through the real tools: cfn-lint (every rule, informational ones included) and
// `sam validate --lint`. The broken fixtures show that cfn-lint reports the mistakes the project
// no longer checks itself (SAM schema, CloudFormation resource specification), and passes the
// ones only the project checks in checks.ts catch.
tool('cfn-lint');
tool('sam');

const TEMPLATE = 'template.yaml';
const fixture = (name: string) => `test/template/fixtures/broken/${name}.yaml`;
const GOOD_FIXTURE = 'test/template/fixtures/project/template.yaml';

/** Fixture → the rule ids cfn-lint reports for it and the finding that names the mistake. */
const CFN_LINT_CASES: Array<[name: string, rules: string[], finding: Record<string, unknown>]> = [
  [
    'cfn-property-typo',
    ['E3002'],
    {
      rule: 'E3002',
      path: 'Resources/NotificationTopic/Properties/DisplayNme',
      message: expect.stringContaining("Did you mean 'DisplayName'?"),
    },
  ],
  [
    'cfn-nested-property-typo',
    ['E3003', 'E3012', 'E3018'],
    {
      rule: 'E3003',
      path: 'Resources/FlowsTable/Properties/KeySchema/0',
      message: "'KeyType' is a required property",
    },
  ],
  [
    'cfn-unknown-type',
    ['E3006'],
    {
      rule: 'E3006',
      path: 'Resources/NotificationTopic/Type',
      message: "Resource type 'AWS::SNS::Topik' does not exist in 'us-east-1'",
    },
  ],
  [
    'cfn-attribute-typo',
    ['E3001'],
    {
      rule: 'E3001',
      path: 'Resources/NotificationTopic/DeletionPolcy',
      message: expect.stringContaining("Did you mean 'DeletionPolicy'?"),
    },
  ],
  [
    'sam-property-typo',
    ['E3002', 'W2533'],
    {
      rule: 'E3002',
      path: 'Resources/HelloFunction/Properties/Handlr',
      message: expect.stringContaining("Did you mean 'Handler'?"),
    },
  ],
  [
    'sam-event-property-typo',
    ['E3002', 'E3003', 'E3017', 'E3030'],
    {
      rule: 'E3002',
      path: 'Resources/HelloFunction/Properties/Events/Tick/Properties/ScheduleExpresion',
      message: expect.stringContaining("Did you mean 'ScheduleExpression'?"),
    },
  ],
  [
    // A typo under Globals is reported on the function it is merged into, at the Globals line.
    'sam-pass-through-typo',
    ['E3002'],
    {
      rule: 'E3002',
      path: 'Resources/HelloFunction/Properties/LoggingConfig/LogFormt',
      line: 17,
      message: expect.stringContaining("Did you mean 'LogFormat'?"),
    },
  ],
];

/** Fixtures for the project checks: valid CloudFormation, so cfn-lint has nothing to say. */
const PROJECT_CHECK_FIXTURES = [
  'bare-placeholder',
  'build-properties-mismatch',
  'code-uri-not-root',
  'contract-id-wrong-type',
  'invalid-asl',
  'jsonata',
  'missing-handler-export',
  'missing-handler-file',
  'runtime-override',
  'undefined-substitution',
  'unused-substitution',
];

const ruleIds = (findings: CfnLintFinding[]) => [...new Set(findings.map((f) => f.rule))].sort();

describe('cfn-lint', () => {
  let informational: CfnLintFinding[];
  let broken: CfnLintFinding[];
  const findingsFor = (findings: CfnLintFinding[], file: string) => findings.filter((f) => f.file === file);

  beforeAll(async () => {
    // Two cfn-lint processes (a second or two each, mostly start-up): one with the informational
    // rules, one with the default rules `sam validate --lint` uses too.
    [informational, broken] = await Promise.all([
      cfnLint([TEMPLATE, GOOD_FIXTURE, fixture('retained-resource-delete')], { informational: true }),
      cfnLint([...CFN_LINT_CASES.map(([name]) => name), ...PROJECT_CHECK_FIXTURES].map(fixture)),
    ]);
  }, 120_000);

  it('finds nothing in template.yaml, informational rules included', () => {
    expect(findingsFor(informational, TEMPLATE)).toEqual([]);
  });

  it('finds nothing in the good fixture, informational rules included', () => {
    expect(findingsFor(informational, GOOD_FIXTURE)).toEqual([]);
  });

  it('includes the informational rules: I3011 reports a stateful resource without UpdateReplacePolicy', () => {
    expect(findingsFor(informational, fixture('retained-resource-delete'))).toEqual([
      expect.objectContaining({
        rule: 'I3011',
        level: 'Informational',
        path: 'Resources/FlowsTable',
        message: expect.stringContaining("'UpdateReplacePolicy' is a required property"),
      }),
    ]);
  });

  it.each(CFN_LINT_CASES)('%s: reports %j', (name, rules, finding) => {
    const findings = findingsFor(broken, fixture(name));
    expect(ruleIds(findings)).toEqual(rules);
    expect(findings).toContainEqual(expect.objectContaining({ level: 'Error', ...finding }));
  });

  it.each(PROJECT_CHECK_FIXTURES)('%s: passes (only checks.ts catches this mistake)', (name) => {
    expect(findingsFor(broken, fixture(name))).toEqual([]);
  });
});

describe('sam validate --lint', () => {
  it('accepts template.yaml', async () => {
    const { status, output } = await samValidate(TEMPLATE);
    expect({ status, output: output.trim() }).toEqual({
      status: 0,
      output: expect.stringMatching(/template\.yaml is a valid SAM Template$/),
    });
  }, 120_000);

  it('rejects a template cfn-lint finds an error in', async () => {
    const { status, output } = await samValidate(fixture('cfn-property-typo'));
    expect(status).toBe(1);
    expect(output).toContain('E3002');
    expect(output).toContain('DisplayNme');
  }, 120_000);
});
