/**
 * Which service reads which template resource and SAM event source type. Each service declares
 * its own in `local/<service>/template.ts`; adding a type means adding it there, not here. A type
 * claimed twice is a programming error and fails at load.
 */
import { dynamodbTemplate } from '../dynamodb/template.ts';
import { eventBridgeTemplate } from '../eventbridge/template.ts';
import { lambdaTemplate } from '../lambda/template.ts';
import { s3Template } from '../s3/template.ts';
import { schedulerTemplate } from '../scheduler/template.ts';
import { snsTemplate } from '../sns/template.ts';
import { sqsTemplate } from '../sqs/template.ts';
import { stepFunctionsTemplate } from '../stepfunctions/template.ts';
import type { EventSourceInput, ResourceInput, TemplateSupport } from './support.ts';

/** In the order their links are resolved once every resource is read. */
export const TEMPLATE_SUPPORT: readonly TemplateSupport[] = [
  s3Template,
  dynamodbTemplate,
  lambdaTemplate,
  stepFunctionsTemplate,
  snsTemplate,
  sqsTemplate,
  eventBridgeTemplate,
  schedulerTemplate,
];

/** Type → the service that claims it and its handler; a type claimed by two services throws. */
export function indexByType<T>(
  supports: readonly TemplateSupport[],
  pick: (support: TemplateSupport) => Record<string, T> | undefined,
  what: string,
): Map<string, { service: string; handler: T }> {
  const byType = new Map<string, { service: string; handler: T }>();
  for (const support of supports) {
    for (const [type, handler] of Object.entries(pick(support) ?? {})) {
      const taken = byType.get(type);
      if (taken)
        throw new Error(`${what} ${type} is claimed by both ${taken.service} and ${support.service}`);
      byType.set(type, { service: support.service, handler });
    }
  }
  return byType;
}

export const RESOURCE_HANDLERS = indexByType<(input: ResourceInput) => void>(
  TEMPLATE_SUPPORT,
  (s) => s.resources,
  'resource type',
);
export const EVENT_SOURCE_HANDLERS = indexByType<(input: EventSourceInput) => void>(
  TEMPLATE_SUPPORT,
  (s) => s.eventSources,
  'event source type',
);
