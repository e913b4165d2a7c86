/**
 * The IAM shape of template.yaml that keeps one environment away from another's backups and the
 * stack's roles away from other stacks' workflows (docs/pause-resume.md#isolation). cfn-lint
 * checks that policies are well formed; these check what they allow.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from '@jest/globals';
import { isPlainObject, loadTemplate, resourcesOf } from './template-file.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const template = loadTemplate(join(root, 'template.yaml'));

interface Statement {
  Sid?: string;
  Effect: string;
  Action: string | string[];
  Resource?: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

/** Every policy statement under a resource, whatever policy property or !If branch holds it. */
function statementsIn(value: unknown, found: Statement[] = []): Statement[] {
  if (Array.isArray(value)) for (const item of value) statementsIn(item, found);
  else if (isPlainObject(value)) {
    if (typeof value.Effect === 'string' && 'Action' in value) found.push(value as unknown as Statement);
    else for (const item of Object.values(value)) statementsIn(item, found);
  }
  return found;
}

const actions = (statement: Statement) => [statement.Action].flat();
/** A resource as text: a literal, or the string of a !Sub. */
const resourceTexts = (statement: Statement): string[] =>
  [statement.Resource].flat().map((r) => {
    if (typeof r === 'string') return r;
    if (isPlainObject(r) && typeof r['Fn::Sub'] === 'string') return r['Fn::Sub'];
    return JSON.stringify(r);
  });

const policy = (logicalId: string) => statementsIn(template.Resources?.[logicalId]?.Properties);
const bySid = (logicalId: string, sid: string) => policy(logicalId).find((s) => s.Sid === sid);

describe('template.yaml IAM', () => {
  it('names no Step Functions resource by a wildcard over the account (stateMachine:* / execution:*)', () => {
    const wide: string[] = [];
    for (const [logicalId, resource] of resourcesOf(template)) {
      for (const statement of statementsIn(resource.Properties)) {
        if (!actions(statement).some((a) => a.startsWith('states:'))) continue;
        for (const text of resourceTexts(statement)) {
          if (/:(stateMachine|execution):\*$/.test(text)) wide.push(`${logicalId} ${statement.Sid}: ${text}`);
        }
      }
    }
    expect(wide).toEqual([]);
  });

  it("builds state machine ARNs in policies from the machines' own names", () => {
    const names = new Map<string, string>();
    for (const [logicalId, resource] of resourcesOf(template)) {
      if (resource.Type !== 'AWS::Serverless::StateMachine') continue;
      const name = resource.Properties?.Name;
      expect({ logicalId, name: isPlainObject(name) ? name['Fn::Sub'] : name }).toEqual({
        logicalId,
        name: expect.stringMatching(/^\$\{AWS::StackName\}-[a-z]+$/),
      });
      names.set((name as Record<string, string>)['Fn::Sub']!, logicalId);
    }
    const named: string[] = [];
    for (const [, resource] of resourcesOf(template)) {
      for (const statement of statementsIn(resource.Properties)) {
        for (const text of resourceTexts(statement)) {
          const match = /:(?:stateMachine|execution):(\$\{AWS::StackName\}-[a-z]+)/.exec(text);
          if (match) named.push(match[1]!);
        }
      }
    }
    expect(named.length).toBeGreaterThan(0);
    for (const name of named) expect(names.has(name)).toBe(true);
  });

  it("opens to an environment's execution role only the backup prefix its tag names", () => {
    const readWrite = bySid('MwaaExecutionRolePolicy', 'ReadWriteOwnBackups');
    expect(resourceTexts(readWrite!)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: CloudFormation !Sub text and an IAM policy variable
      '${BackupBucket.Arn}/backups/${!aws:PrincipalTag/mwaa-ops-environment}/*',
    ]);
    expect(readWrite?.Condition?.StringLike?.['aws:PrincipalTag/mwaa-ops-environment']).toEqual({
      Ref: 'ManagedEnvironmentNamePattern',
    });
    const list = bySid('MwaaExecutionRolePolicy', 'ListOwnBackups');
    expect(list?.Condition?.StringLike?.['s3:prefix']).toBe(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an IAM policy variable, resolved by IAM
      'backups/${aws:PrincipalTag/mwaa-ops-environment}/*',
    );
    // Nothing else in that policy reaches the bucket.
    const s3 = policy('MwaaExecutionRolePolicy').filter((s) => actions(s).some((a) => a.startsWith('s3:')));
    expect(s3.map((s) => s.Sid).sort()).toEqual(['ListOwnBackups', 'ReadWriteOwnBackups']);
  });

  it('gives the execution role no access to EnvironmentsTable, where the verified backups are recorded', () => {
    // Resume trusts the digests and recreation settings in EnvironmentsTable over the objects in
    // S3 (docs/pause-resume.md#isolation): that holds only while no DAG can write the registry.
    const statements = policy('MwaaExecutionRolePolicy');
    expect(statements.length).toBeGreaterThan(0);
    const reaching = statements.filter(
      (s) =>
        actions(s).some((a) => a === '*' || a.toLowerCase().startsWith('dynamodb:')) ||
        JSON.stringify(s.Resource ?? '').includes('EnvironmentsTable'),
    );
    expect(reaching.map((s) => s.Sid)).toEqual([]);
    // And no wildcard service: every action names its service and operation.
    for (const s of statements) for (const a of actions(s)) expect(a).toMatch(/^[a-z0-9-]+:[A-Za-z]+$/);
  });

  it('lets only the workflows write EnvironmentsTable; the functions only read it', () => {
    const writers: string[] = [];
    for (const [logicalId, resource] of resourcesOf(template)) {
      const properties = JSON.stringify(resource.Properties ?? {});
      if (!properties.includes('EnvironmentsTable')) continue;
      for (const statement of statementsIn(resource.Properties)) {
        const writes = actions(statement).some((a) =>
          /^dynamodb:(Put|Update|Delete|BatchWrite)|^dynamodb:\*$/.test(a),
        );
        if (writes && JSON.stringify(statement.Resource ?? '').includes('EnvironmentsTable'))
          writers.push(logicalId);
      }
      // SAM policy templates: only the read one may name the registry.
      for (const samPolicy of ['DynamoDBCrudPolicy', 'DynamoDBWritePolicy']) {
        if (new RegExp(`"${samPolicy}":\\{"TableName":\\{"Ref":"EnvironmentsTable"`).test(properties))
          writers.push(`${logicalId} (${samPolicy})`);
      }
    }
    expect(writers.length).toBeGreaterThan(0);
    for (const writer of writers) {
      expect({ writer, type: template.Resources?.[writer]?.Type }).toEqual({
        writer,
        type: 'AWS::Serverless::StateMachine',
      });
    }
  });

  it("lets the transfer DAGs describe only the executions that start them (this stack's backup and resume)", () => {
    const describes = policy('MwaaExecutionRolePolicy').filter((s) =>
      actions(s).some((a) => a === 'states:DescribeExecution' || a === 'states:*'),
    );
    expect(describes.map((s) => ({ sid: s.Sid, actions: actions(s), resources: resourceTexts(s) }))).toEqual([
      {
        sid: 'CheckRunIsOurWorkflow',
        actions: ['states:DescribeExecution'],
        resources: [
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a CloudFormation !Sub
          'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${AWS::StackName}-backup:*',
          // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a CloudFormation !Sub
          'arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${AWS::StackName}-resume:*',
        ],
      },
    ]);
    // Through the same Step Functions VPC endpoint as the task answers, when one is given.
    expect(describes[0]?.Effect).toBe('Allow');
    expect(describes[0]?.Condition).toEqual(
      bySid('MwaaExecutionRolePolicy', 'AnswerWorkflowTasks')?.Condition,
    );
    expect(describes[0]?.Condition).toBeDefined();
  });

  it('lets backups be written only with the stack key', () => {
    const pin = bySid('BackupBucketPolicy', 'DenyOtherKmsKeys');
    expect(pin).toMatchObject({
      Effect: 'Deny',
      Principal: '*',
      Action: 's3:PutObject',
      Condition: {
        StringNotEqualsIfExists: {
          's3:x-amz-server-side-encryption-aws-kms-key-id': { 'Fn::GetAtt': ['BackupKey', 'Arn'] },
        },
      },
    });
  });

  it('lets the run-history archive read only manifests and run-history tables, and write only the archive', () => {
    const statements = policy('RunHistoryArchiveFunction');
    const allowed = statements.filter((s) => s.Effect === 'Allow');
    expect(allowed.flatMap(actions).sort()).toEqual([
      'kms:Decrypt',
      's3:GetObject',
      's3:ListBucket',
      's3:PutObject',
    ]);
    expect(resourceTexts(bySid('RunHistoryArchiveFunction', 'ReadBackupRunHistory') as Statement)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a CloudFormation !Sub
      '${BackupBucket.Arn}/backups/*/manifest.json',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a CloudFormation !Sub
      '${BackupBucket.Arn}/backups/*/tables/dag_run.jsonl.gz',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a CloudFormation !Sub
      '${BackupBucket.Arn}/backups/*/tables/dag_run.copy.gz',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a CloudFormation !Sub
      '${BackupBucket.Arn}/backups/*/tables/task_instance.jsonl.gz',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a CloudFormation !Sub
      '${BackupBucket.Arn}/backups/*/tables/task_instance.copy.gz',
    ]);
    expect(resourceTexts(bySid('RunHistoryArchiveFunction', 'WriteRunHistory') as Statement)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a CloudFormation !Sub
      '${RunHistoryBucket.Arn}/run-history/*',
    ]);
    expect(bySid('RunHistoryArchiveFunction', 'DecryptBackups')?.Resource).toEqual({
      'Fn::GetAtt': ['BackupKey', 'Arn'],
    });
  });

  it('lets the pause workflow publish only to NotificationTopic (a failed archive is notified)', () => {
    expect(bySid('PauseEnvironmentStateMachine', 'NotifyArchiveFailure')).toMatchObject({
      Effect: 'Allow',
      Action: 'sns:Publish',
      Resource: { Ref: 'NotificationTopic' },
    });
    expect(bySid('PauseEnvironmentStateMachine', 'NotificationKey')?.Resource).toEqual({
      'Fn::GetAtt': ['NotificationKey', 'Arn'],
    });
  });

  it('lets IdlePauseFunction read, write only idle-resume schedules, pass only the scheduler role, start only the pause', () => {
    const statements = policy('IdlePauseFunction');
    const allowed = statements.flatMap((s) => actions(s)).sort();
    expect(allowed).toEqual(
      [
        'airflow:GetEnvironment',
        'airflow:InvokeRestApi',
        'dynamodb:GetItem',
        'iam:PassRole',
        'scheduler:CreateSchedule',
        'scheduler:UpdateSchedule',
        'states:StartExecution',
      ].sort(),
    );
    expect(resourceTexts(bySid('IdlePauseFunction', 'ReadDagsAndRuns') as Statement)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a CloudFormation !Sub
      'arn:${AWS::Partition}:airflow:${AWS::Region}:${AWS::AccountId}:role/${ManagedEnvironmentNamePattern}/Viewer',
    ]);
    expect(resourceTexts(bySid('IdlePauseFunction', 'WriteResumeSchedules') as Statement)).toEqual([
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the text of a CloudFormation !Sub
      'arn:${AWS::Partition}:scheduler:${AWS::Region}:${AWS::AccountId}:schedule/${AWS::StackName}-environments/idle-resume-*',
    ]);
    const pass = bySid('IdlePauseFunction', 'PassSchedulerRole');
    expect(pass?.Resource).toEqual({ 'Fn::GetAtt': ['EnvironmentSchedulerRole', 'Arn'] });
    expect(pass?.Condition).toEqual({ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } });
    expect(bySid('IdlePauseFunction', 'StartPause')?.Resource).toEqual({
      Ref: 'PauseEnvironmentStateMachine',
    });
    const invoke = statementsIn(template.Resources?.IdleSchedulerRole?.Properties).filter((s) =>
      actions(s).includes('lambda:InvokeFunction'),
    );
    expect(invoke.map((s) => s.Resource)).toEqual([{ 'Fn::GetAtt': ['IdlePauseFunction', 'Arn'] }]);
  });
});
