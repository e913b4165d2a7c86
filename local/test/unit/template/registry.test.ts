/**
 * The template loader hands each resource and SAM event source to the service that emulates it.
 * These tests pin which service reads which type, so a type cannot silently stop being emulated
 * (it would only log "not emulated" at debug level) or be read by two services.
 */
import { describe, expect, it } from '@jest/globals';
import {
  EVENT_SOURCE_HANDLERS,
  indexByType,
  RESOURCE_HANDLERS,
  TEMPLATE_SUPPORT,
} from '../../../template/registry.ts';
import type { TemplateSupport } from '../../../template/support.ts';

const owners = (map: Map<string, { service: string }>) =>
  Object.fromEntries([...map].map(([type, { service }]) => [type, service]));

describe('template support registry', () => {
  it('gives every emulated resource type to the service folder that emulates it', () => {
    expect(owners(RESOURCE_HANDLERS)).toEqual({
      'AWS::S3::Bucket': 's3',
      'AWS::DynamoDB::Table': 'dynamodb',
      'AWS::Serverless::SimpleTable': 'dynamodb',
      'AWS::Serverless::Function': 'lambda',
      'AWS::Lambda::Function': 'lambda',
      'AWS::Lambda::EventInvokeConfig': 'lambda',
      'AWS::Serverless::StateMachine': 'stepfunctions',
      'AWS::StepFunctions::StateMachine': 'stepfunctions',
      'AWS::SNS::Topic': 'sns',
      'AWS::SNS::Subscription': 'sns',
      'AWS::SQS::Queue': 'sqs',
      'AWS::Events::Rule': 'eventbridge',
      'AWS::Scheduler::ScheduleGroup': 'scheduler',
      'AWS::Scheduler::Schedule': 'scheduler',
    });
  });

  it('gives every emulated SAM event source type to its service', () => {
    expect(owners(EVENT_SOURCE_HANDLERS)).toEqual({
      S3: 's3',
      SNS: 'sns',
      Schedule: 'eventbridge',
      EventBridgeRule: 'eventbridge',
      CloudWatchEvent: 'eventbridge',
      ScheduleV2: 'scheduler',
    });
  });

  it('names services after their folders under local/, once each', () => {
    const services = TEMPLATE_SUPPORT.map((s) => s.service);
    expect(new Set(services).size).toBe(services.length);
    expect([...services].sort()).toEqual(
      ['dynamodb', 'eventbridge', 'lambda', 's3', 'scheduler', 'sns', 'sqs', 'stepfunctions'].sort(),
    );
  });

  it('refuses a type claimed by two services, naming both', () => {
    const noop = () => {};
    const a: TemplateSupport = { service: 'a', resources: { 'AWS::X::Y': noop } };
    const b: TemplateSupport = { service: 'b', resources: { 'AWS::X::Y': noop } };
    expect(() => indexByType([a, b], (s) => s.resources, 'resource type')).toThrow(
      'resource type AWS::X::Y is claimed by both a and b',
    );
    expect(indexByType([a], (s) => s.resources, 'resource type').get('AWS::X::Y')?.service).toBe('a');
  });
});
