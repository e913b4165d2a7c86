import { existsSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { buildModel, loadTemplate, parseTemplate, TemplateError } from '../../../template/index.ts';

const root = new URL('../../../../test/integration/fixtures/', import.meta.url).pathname;

/** Build a model from inline YAML, with the integration fixtures as the code root. */
const model = (yaml: string, parameters?: Record<string, string>) =>
  buildModel(parseTemplate(yaml), { root, stackName: 'stack', ...(parameters ? { parameters } : {}) });

const probe = `
  Probe:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/context-probe/
      Handler: index.handler`;

describe('local/template: parameters and conditions', () => {
  const yaml = `
Parameters:
  Stage: { Type: String, Default: dev, AllowedValues: [dev, prod] }
  Names: { Type: CommaDelimitedList, Default: "a,b,c" }
Conditions:
  IsProd: !Equals [!Ref Stage, prod]
  NotProd: !Not [!Condition IsProd]
  Both: !And [!Condition NotProd, !Equals [x, x]]
  Either: !Or [!Condition IsProd, !Equals [!Select [1, !Ref Names], b]]
Resources:
  OnlyProd:
    Type: AWS::SQS::Queue
    Condition: IsProd
  Always:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !If [Both, !Sub "\${Stage}-\${AWS::Region}-q", never]
Outputs:
  Either: { Value: !If [Either, yes, no] }
  Joined: { Value: !Join ["|", !Ref Names] }
  Split: { Value: !Select [2, !Split [",", "x,y,z"]] }
  OnlyProdUrl: { Condition: IsProd, Value: !Ref OnlyProd }
`;

  it('uses defaults, evaluates conditions and skips resources whose condition is false', () => {
    const m = model(yaml);
    expect(m.parameters).toEqual({ Stage: 'dev', Names: 'a,b,c' });
    expect(m.queues.map((q) => q.name)).toEqual(['dev-us-east-1-q']);
    expect(m.outputs).toEqual({ Either: 'yes', Joined: 'a|b|c', Split: 'z' });
  });

  it('applies given parameters over defaults', () => {
    const m = model(yaml, { Stage: 'prod' });
    expect(m.queues.map((q) => q.logicalId).sort()).toEqual(['Always', 'OnlyProd']);
    expect(m.queues.find((q) => q.logicalId === 'Always')?.name).toBe('never');
    expect(m.outputs.OnlyProdUrl).toMatch(
      /^https:\/\/sqs\.us-east-1\.amazonaws\.com\/000000000000\/stack-OnlyProd-[A-Z0-9]{12}$/,
    );
  });

  it('rejects values outside AllowedValues and undeclared parameters', () => {
    expect(() => model(yaml, { Stage: 'qa' })).toThrow(TemplateError);
    expect(() => model(yaml, { Stage: 'qa' })).toThrow('parameter Stage="qa" is not one of dev, prod');
    expect(() => model(yaml, { Nope: 'x' })).toThrow('parameter Nope is not declared by the template');
  });

  it('requires a value for a parameter without default', () => {
    expect(() => model('Parameters:\n  Needed: { Type: String }\nResources: {}')).toThrow(
      'parameter Needed has no default; pass it in options.parameters',
    );
  });
});

describe('local/template: intrinsics', () => {
  it('resolves pseudo parameters, Sub (both forms, escapes), GetAtt and FindInMap', () => {
    const m = model(`
Mappings:
  Sizes: { dev: { memory: 1024 } }
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: { TopicName: alerts }
  Role:
    Type: AWS::IAM::Role
Outputs:
  Pseudo: { Value: !Sub "\${AWS::Partition}:\${AWS::Region}:\${AWS::AccountId}:\${AWS::StackName}:\${AWS::URLSuffix}" }
  Literal: { Value: !Sub "keep \${!Literal} as is" }
  Vars: { Value: !Sub ["\${Name}/\${Topic.TopicName}", { Name: !Ref Topic }] }
  RoleArn: { Value: !GetAtt Role.Arn }
  Memory: { Value: !FindInMap [Sizes, dev, memory] }
`);
    expect(m.outputs).toEqual({
      Pseudo: 'aws:us-east-1:000000000000:stack:amazonaws.com',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub's escaped placeholder, not a JS template
      Literal: 'keep ${Literal} as is',
      Vars: 'arn:aws:sns:us-east-1:000000000000:alerts/alerts',
      RoleArn: expect.stringMatching(/^arn:aws:iam::000000000000:role\/stack-Role-[A-Z0-9]{12}$/),
      Memory: '1024',
    });
  });

  it('drops AWS::NoValue properties', () => {
    const m = model(`
Resources:
${probe}
      Environment:
        Variables:
          KEPT: yes
          GONE: !Ref AWS::NoValue
`);
    expect(m.functions[0]?.environment).toEqual({ KEPT: 'yes' });
  });

  it('refuses Fn::ImportValue and unknown references with a clear error', () => {
    expect(() =>
      model(
        'Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !ImportValue shared-name',
      ),
    ).toThrow(/Fn::ImportValue .*cannot be resolved locally/);
    expect(() =>
      model('Resources:\n  Q:\n    Type: AWS::SQS::Queue\n    Properties:\n      QueueName: !Ref Missing'),
    ).toThrow('Ref Missing: no such parameter or resource');
  });

  it('gives unsupported resource types plausible Ref and Arn values', () => {
    const m = model(`
Resources:
  Key: { Type: AWS::KMS::Key }
  Alb: { Type: AWS::ElasticLoadBalancingV2::LoadBalancer }
  Other: { Type: AWS::Foo::Bar }
Outputs:
  Key: { Value: !GetAtt Key.Arn }
  Dns: { Value: !GetAtt Alb.DNSName }
  Other: { Value: !GetAtt Other.Arn }
`);
    expect(m.outputs.Key).toMatch(/^arn:aws:kms:us-east-1:000000000000:key\/[0-9a-f-]{36}$/);
    expect(m.outputs.Dns).toMatch(/\.us-east-1\.elb\.amazonaws\.com$/);
    expect(m.outputs.Other).toMatch(/^arn:aws:foo:us-east-1:000000000000:bar\/stack-Other-[A-Z0-9]{12}$/);
  });
});

describe('local/template: resources', () => {
  it('generates deterministic physical names, lower-cased for buckets', () => {
    const yaml =
      'Resources:\n  DataBucket: { Type: AWS::S3::Bucket }\n  Named: { Type: AWS::S3::Bucket, Properties: { BucketName: my-bucket } }';
    const first = model(yaml);
    expect(first.buckets.map((b) => b.name)).toEqual([
      expect.stringMatching(/^stack-databucket-[a-z0-9]{12}$/),
      'my-bucket',
    ]);
    expect(model(yaml).buckets[0]?.name).toBe(first.buckets[0]?.name);
    expect(first.buckets[1]?.arn).toBe('arn:aws:s3:::my-bucket');
  });

  it('applies Globals, with the function winning and environment variables merged', () => {
    const m = model(`
Globals:
  Function:
    Timeout: 30
    MemorySize: 256
    Environment: { Variables: { A: global, B: global } }
Resources:
${probe}
      Timeout: 5
      Environment: { Variables: { B: local } }
`);
    expect(m.functions[0]).toMatchObject({
      timeoutSeconds: 5,
      memoryMb: 256,
      environment: { A: 'global', B: 'local' },
      folder: 'context-probe',
      handlerExport: 'handler',
      sourceEntry: `${root}functions/context-probe/index.ts`,
    });
  });

  it('reports a missing handler source', () => {
    expect(() =>
      model(
        'Resources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties: { CodeUri: functions/none/, Handler: index.handler }',
      ),
    ).toThrow(/Fn: handler source not found/);
  });

  it('expands function events, EventInvokeConfig and bucket notifications', () => {
    const m = model(`
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      VersioningConfiguration: { Status: Enabled }
      NotificationConfiguration:
        EventBridgeConfiguration: { EventBridgeEnabled: true }
  Dlq: { Type: AWS::SQS::Queue }
  Alerts: { Type: AWS::SNS::Topic }
${probe}
      EventInvokeConfig:
        MaximumRetryAttempts: 1
        MaximumEventAgeInSeconds: 120
        DestinationConfig:
          OnFailure: { Type: SQS, Destination: !GetAtt Dlq.Arn }
      Events:
        Upload:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: [s3:ObjectCreated:*]
            Filter: { S3Key: { Rules: [{ Name: prefix, Value: in/ }, { Name: suffix, Value: .csv }] } }
        Tick:
          Type: ScheduleV2
          Properties: { ScheduleExpression: rate(5 minutes), ScheduleExpressionTimezone: Europe/Paris, Input: '{"a":1}' }
        Hourly:
          Type: Schedule
          Properties: { Schedule: rate(1 hour), Enabled: false }
        OnEvent:
          Type: EventBridgeRule
          Properties: { Pattern: { source: [aws.airflow] } }
        Alert:
          Type: SNS
          Properties: { Topic: !Ref Alerts }
        Queue:
          Type: SQS
          Properties: { Queue: !GetAtt Dlq.Arn }
`);
    const fn = m.functions[0];
    expect(fn?.async).toEqual({
      maximumRetryAttempts: 1,
      maximumEventAgeSeconds: 120,
      onFailure: m.queues[0]?.arn,
    });
    expect(m.buckets[0]).toMatchObject({
      eventBridge: true,
      versioned: true,
      notifications: [
        { events: ['s3:ObjectCreated:*'], prefix: 'in/', suffix: '.csv', functionLogicalId: 'Probe' },
      ],
    });
    expect(m.schedules).toEqual([
      expect.objectContaining({
        logicalId: 'ProbeTick',
        expression: 'rate(5 minutes)',
        timezone: 'Europe/Paris',
        enabled: true,
        target: { arn: fn?.arn, input: '{"a":1}' },
      }),
    ]);
    expect(
      m.rules.map((r) => [r.logicalId, r.scheduleExpression ?? r.eventPattern, r.enabled, r.targets[0]?.arn]),
    ).toEqual([
      ['ProbeHourly', 'rate(1 hour)', false, fn?.arn],
      ['ProbeOnEvent', { source: ['aws.airflow'] }, true, fn?.arn],
    ]);
    expect(m.topics[0]?.subscriptions).toEqual([{ protocol: 'lambda', endpoint: fn?.arn }]);
  });

  it('maps NotificationConfiguration.LambdaConfigurations and AWS::Lambda::EventInvokeConfig to functions', () => {
    const m = model(`
Resources:
  Uploads:
    Type: AWS::S3::Bucket
    Properties:
      NotificationConfiguration:
        LambdaConfigurations:
          - Event: s3:ObjectRemoved:*
            Function: !GetAtt Probe.Arn
${probe}
  ProbeInvokeConfig:
    Type: AWS::Lambda::EventInvokeConfig
    Properties:
      FunctionName: !Ref Probe
      Qualifier: $LATEST
      MaximumRetryAttempts: 0
      DestinationConfig: { OnSuccess: { Destination: arn:aws:sns:us-east-1:000000000000:done } }
`);
    expect(m.buckets[0]?.notifications).toEqual([
      { events: ['s3:ObjectRemoved:*'], functionLogicalId: 'Probe' },
    ]);
    expect(m.functions[0]?.async).toEqual({
      maximumRetryAttempts: 0,
      maximumEventAgeSeconds: 21600,
      onSuccess: 'arn:aws:sns:us-east-1:000000000000:done',
    });
  });

  it('turns tables and simple tables into CreateTable input', () => {
    const m = model(`
Resources:
  Flows:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: flows
      BillingMode: PAY_PER_REQUEST
      AttributeDefinitions: [{ AttributeName: id, AttributeType: S }, { AttributeName: env, AttributeType: S }]
      KeySchema: [{ AttributeName: id, KeyType: HASH }]
      GlobalSecondaryIndexes:
        - { IndexName: byEnv, KeySchema: [{ AttributeName: env, KeyType: HASH }], Projection: { ProjectionType: ALL } }
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true }
  Simple:
    Type: AWS::Serverless::SimpleTable
    Properties: { PrimaryKey: { Name: key, Type: Number } }
`);
    expect(m.tables[0]).toMatchObject({
      name: 'flows',
      arn: 'arn:aws:dynamodb:us-east-1:000000000000:table/flows',
      createTableInput: {
        TableName: 'flows',
        BillingMode: 'PAY_PER_REQUEST',
        GlobalSecondaryIndexes: [expect.objectContaining({ IndexName: 'byEnv' })],
      },
    });
    expect(m.tables[0]?.createTableInput).not.toHaveProperty('PointInTimeRecoverySpecification');
    expect(m.tables[1]?.createTableInput).toEqual({
      TableName: expect.stringMatching(/^stack-Simple-/),
      KeySchema: [{ AttributeName: 'key', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'key', AttributeType: 'N' }],
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it('loads state machines from DefinitionUri with DefinitionSubstitutions applied', () => {
    const m = model(`
Resources:
${probe}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: statemachines/pipeline.asl.json
      DefinitionSubstitutions:
        ProbeFunctionArn: !GetAtt Probe.Arn
        RecordTableName: records
      Events:
        Daily:
          Type: ScheduleV2
          Properties: { ScheduleExpression: cron(0 3 * * ? *) }
Outputs:
  Arn: { Value: !Ref Flow }
  Name: { Value: !GetAtt Flow.Name }
`);
    const machine = m.stateMachines[0];
    expect(machine?.name).toMatch(/^Flow-[A-Z0-9]{12}$/);
    expect(machine?.arn).toBe(`arn:aws:states:us-east-1:000000000000:stateMachine:${machine?.name}`);
    expect(m.outputs).toEqual({ Arn: machine?.arn, Name: machine?.name });
    const states = machine?.definition.States as Record<string, { Parameters: Record<string, unknown> }>;
    expect(states.Probe?.Parameters.FunctionName).toBe(m.functions[0]?.arn);
    expect(states.Record?.Parameters.TableName).toBe('records');
    expect(m.schedules[0]?.target.arn).toBe(machine?.arn);
  });
});

describe('local/template: the repository template', () => {
  it('loads, and every function it declares has its source', () => {
    const repoRoot = new URL('../../../../', import.meta.url).pathname;
    const m = loadTemplate(`${repoRoot}template.yaml`);
    expect(m.stackName).toBe('mwaa-ops');
    for (const fn of m.functions) {
      expect(fn.sourceEntry).toBe(`${repoRoot}functions/${fn.folder}/index.ts`);
      expect(existsSync(fn.sourceEntry)).toBe(true);
    }
    for (const [logicalId, ref] of Object.entries(m.refs))
      expect({ logicalId, ref }).toEqual({ logicalId, ref: expect.any(String) });
  });
});
