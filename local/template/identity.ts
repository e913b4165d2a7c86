/**
 * Physical names, `Ref` values and `Fn::GetAtt` attributes of resources, as CloudFormation
 * would give them, computed locally. Explicit name properties win; otherwise the name is
 * `<stack>-<LogicalId>-<SUFFIX>` with a deterministic suffix so that two runs agree.
 */
import { createHash } from 'node:crypto';

export interface ResourceIdentity {
  /** What `Ref` returns. */
  ref: string;
  /** `Fn::GetAtt` attributes. */
  attrs: Record<string, string>;
}

export interface IdentityContext {
  region: string;
  accountId: string;
  stackName: string;
}

/** CloudFormation-like suffix: 12 upper-case alphanumerics, stable for a stack + logical id. */
export function physicalSuffix(stackName: string, logicalId: string): string {
  const digest = createHash('sha256').update(`${stackName}/${logicalId}`).digest();
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let out = '';
  for (let i = 0; i < 12; i += 1) out += alphabet[(digest[i] ?? 0) % alphabet.length];
  return out;
}

/** Generated name, truncated the way CloudFormation does so that the suffix survives. */
export function generatedName(ctx: IdentityContext, logicalId: string, maxLength = 64): string {
  const suffix = physicalSuffix(ctx.stackName, logicalId);
  const head = `${ctx.stackName}-${logicalId}`.slice(0, maxLength - suffix.length - 1);
  return `${head}-${suffix}`;
}

function deterministicUuid(seed: string): string {
  const hex = createHash('sha256').update(seed).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

const arnOf = (ctx: IdentityContext, service: string, resource: string, regional = true) =>
  `arn:aws:${service}:${regional ? ctx.region : ''}:${ctx.accountId}:${resource}`;

/**
 * Identity of a resource. `name` is the explicit name property (already resolved) or undefined.
 * `props` gives the few other resolved properties some identities depend on.
 */
export function resourceIdentity(
  ctx: IdentityContext,
  logicalId: string,
  type: string,
  name: string | undefined,
  props: Record<string, unknown> = {},
): ResourceIdentity {
  const gen = (max?: number) => name ?? generatedName(ctx, logicalId, max);
  switch (type) {
    case 'AWS::S3::Bucket': {
      const bucket = name ?? generatedName(ctx, logicalId, 63).toLowerCase();
      return {
        ref: bucket,
        attrs: {
          Arn: `arn:aws:s3:::${bucket}`,
          DomainName: `${bucket}.s3.amazonaws.com`,
          RegionalDomainName: `${bucket}.s3.${ctx.region}.amazonaws.com`,
          DualStackDomainName: `${bucket}.s3.dualstack.${ctx.region}.amazonaws.com`,
          WebsiteURL: `http://${bucket}.s3-website-${ctx.region}.amazonaws.com`,
        },
      };
    }
    case 'AWS::DynamoDB::Table':
    case 'AWS::Serverless::SimpleTable': {
      const table = gen(255);
      const arn = arnOf(ctx, 'dynamodb', `table/${table}`);
      return { ref: table, attrs: { Arn: arn, StreamArn: `${arn}/stream/1970-01-01T00:00:00.000` } };
    }
    case 'AWS::Serverless::Function':
    case 'AWS::Lambda::Function': {
      const fn = gen(64);
      return { ref: fn, attrs: { Arn: arnOf(ctx, 'lambda', `function:${fn}`) } };
    }
    case 'AWS::Serverless::StateMachine':
    case 'AWS::StepFunctions::StateMachine': {
      const sm = name ?? `${logicalId}-${physicalSuffix(ctx.stackName, logicalId)}`;
      const arn = arnOf(ctx, 'states', `stateMachine:${sm}`);
      return { ref: arn, attrs: { Arn: arn, Name: sm, StateMachineRevisionId: arn } };
    }
    case 'AWS::SNS::Topic': {
      const topic = gen(256) + (props.FifoTopic === true || props.FifoTopic === 'true' ? '.fifo' : '');
      const arn = arnOf(ctx, 'sns', topic);
      return { ref: arn, attrs: { TopicArn: arn, TopicName: topic } };
    }
    case 'AWS::SQS::Queue': {
      const fifo = props.FifoQueue === true || props.FifoQueue === 'true';
      const queue = name ?? generatedName(ctx, logicalId, fifo ? 75 : 80) + (fifo ? '.fifo' : '');
      const url = `https://sqs.${ctx.region}.amazonaws.com/${ctx.accountId}/${queue}`;
      return { ref: url, attrs: { Arn: arnOf(ctx, 'sqs', queue), QueueName: queue, QueueUrl: url } };
    }
    case 'AWS::Events::Rule': {
      const rule = gen(64);
      const bus = typeof props.EventBusName === 'string' ? props.EventBusName : 'default';
      const path = bus === 'default' ? rule : `${bus}/${rule}`;
      return { ref: rule, attrs: { Arn: arnOf(ctx, 'events', `rule/${path}`) } };
    }
    case 'AWS::Events::EventBus': {
      const bus = gen(256);
      return { ref: bus, attrs: { Arn: arnOf(ctx, 'events', `event-bus/${bus}`), Name: bus } };
    }
    case 'AWS::Scheduler::Schedule': {
      const schedule = gen(64);
      const group = typeof props.GroupName === 'string' ? props.GroupName : 'default';
      return { ref: schedule, attrs: { Arn: arnOf(ctx, 'scheduler', `schedule/${group}/${schedule}`) } };
    }
    case 'AWS::Scheduler::ScheduleGroup': {
      const group = gen(64);
      return { ref: group, attrs: { Arn: arnOf(ctx, 'scheduler', `schedule-group/${group}`) } };
    }
    case 'AWS::IAM::Role': {
      const role = gen(64);
      return {
        ref: role,
        attrs: {
          Arn: `arn:aws:iam::${ctx.accountId}:role/${role}`,
          RoleId: `AROA${physicalSuffix(role, 'id')}`,
        },
      };
    }
    case 'AWS::IAM::ManagedPolicy': {
      const arn = `arn:aws:iam::${ctx.accountId}:policy/${gen(128)}`;
      return { ref: arn, attrs: { PolicyArn: arn } };
    }
    case 'AWS::KMS::Key': {
      const id = deterministicUuid(`${ctx.stackName}/${logicalId}`);
      return { ref: id, attrs: { Arn: arnOf(ctx, 'kms', `key/${id}`), KeyId: id } };
    }
    case 'AWS::KMS::Alias':
      return { ref: name ?? `alias/${generatedName(ctx, logicalId)}`, attrs: {} };
    case 'AWS::Logs::LogGroup': {
      const group = name ?? `/aws/${generatedName(ctx, logicalId)}`;
      return { ref: group, attrs: { Arn: arnOf(ctx, 'logs', `log-group:${group}:*`) } };
    }
    case 'AWS::SecretsManager::Secret': {
      const arn = arnOf(ctx, 'secretsmanager', `secret:${gen(256)}-AbCdEf`);
      return { ref: arn, attrs: { Id: arn } };
    }
    case 'AWS::SSM::Parameter':
      return { ref: gen(1024), attrs: { Type: 'String', Value: String(props.Value ?? '') } };
    case 'AWS::ElasticLoadBalancingV2::LoadBalancer': {
      const lb = (name ?? generatedName(ctx, logicalId, 32)).slice(0, 32);
      const id = physicalSuffix(lb, 'lb').toLowerCase();
      const arn = arnOf(ctx, 'elasticloadbalancing', `loadbalancer/app/${lb}/${id}`);
      return {
        ref: arn,
        attrs: {
          LoadBalancerArn: arn,
          LoadBalancerName: lb,
          LoadBalancerFullName: `app/${lb}/${id}`,
          DNSName: `${lb}-${id.slice(0, 10)}.${ctx.region}.elb.amazonaws.com`,
          CanonicalHostedZoneID: 'Z35SXDOTRQ7X7K',
        },
      };
    }
    case 'AWS::ElasticLoadBalancingV2::TargetGroup': {
      const tg = (name ?? generatedName(ctx, logicalId, 32)).slice(0, 32);
      const arn = arnOf(
        ctx,
        'elasticloadbalancing',
        `targetgroup/${tg}/${physicalSuffix(tg, 'tg').toLowerCase()}`,
      );
      return {
        ref: arn,
        attrs: { TargetGroupArn: arn, TargetGroupName: tg, TargetGroupFullName: arn.split(':').pop() ?? tg },
      };
    }
    case 'AWS::ElasticLoadBalancingV2::Listener': {
      const arn = arnOf(ctx, 'elasticloadbalancing', `listener/app/${generatedName(ctx, logicalId, 32)}`);
      return { ref: arn, attrs: { ListenerArn: arn } };
    }
    case 'AWS::EC2::SecurityGroup': {
      const id = `sg-${physicalSuffix(ctx.stackName, logicalId).toLowerCase()}`;
      return { ref: id, attrs: { GroupId: id, VpcId: 'vpc-00000000' } };
    }
    case 'AWS::CloudWatch::Alarm': {
      const alarm = gen(255);
      return { ref: alarm, attrs: { Arn: arnOf(ctx, 'cloudwatch', `alarm:${alarm}`) } };
    }
    case 'AWS::SNS::Subscription':
    case 'AWS::Lambda::EventInvokeConfig':
    case 'AWS::Lambda::Permission':
      return { ref: `${generatedName(ctx, logicalId)}`, attrs: {} };
    default: {
      // Unknown type: a plausible name and an ARN in the type's service namespace.
      const id = gen();
      const service = (type.split('::')[1] ?? 'unknown').toLowerCase();
      const kind = (type.split('::')[2] ?? 'resource').toLowerCase();
      return { ref: id, attrs: { Arn: arnOf(ctx, service, `${kind}/${id}`), Name: id } };
    }
  }
}

/** The property that carries a resource's explicit physical name, per type. */
export const NAME_PROPERTY: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::DynamoDB::Table': 'TableName',
  'AWS::Serverless::SimpleTable': 'TableName',
  'AWS::Serverless::Function': 'FunctionName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Serverless::StateMachine': 'Name',
  'AWS::StepFunctions::StateMachine': 'StateMachineName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::Events::Rule': 'Name',
  'AWS::Events::EventBus': 'Name',
  'AWS::Scheduler::Schedule': 'Name',
  'AWS::Scheduler::ScheduleGroup': 'Name',
  'AWS::IAM::Role': 'RoleName',
  'AWS::IAM::ManagedPolicy': 'ManagedPolicyName',
  'AWS::KMS::Alias': 'AliasName',
  'AWS::Logs::LogGroup': 'LogGroupName',
  'AWS::SecretsManager::Secret': 'Name',
  'AWS::SSM::Parameter': 'Name',
  'AWS::ElasticLoadBalancingV2::LoadBalancer': 'Name',
  'AWS::ElasticLoadBalancingV2::TargetGroup': 'Name',
  'AWS::CloudWatch::Alarm': 'AlarmName',
};
