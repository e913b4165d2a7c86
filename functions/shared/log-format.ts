/**
 * The Powertools log format, with error stacks mapped to the TypeScript sources (stack-map.ts).
 *
 * formatAttributes is Powertools' own PowertoolsLogFormatter.formatAttributes (logger 2.36,
 * without logRecordOrder, which we do not use): that class is not exported, so it is written
 * out here; test/unit/shared-log-format.test.ts checks the two print the same lines.
 */
import { LogFormatter, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { mapStack } from './stack-map.ts';

export class MappedStackLogFormatter extends LogFormatter {
  override formatAttributes(
    attributes: UnformattedAttributes,
    additionalLogAttributes: LogAttributes,
  ): LogItem {
    const baseAttributes: LogAttributes = {
      level: attributes.logLevel,
      message: attributes.message,
      timestamp: this.formatTimestamp(attributes.timestamp),
      service: attributes.serviceName,
      cold_start: attributes.lambdaContext?.coldStart,
      function_arn: attributes.lambdaContext?.invokedFunctionArn,
      function_memory_size: attributes.lambdaContext?.memoryLimitInMB,
      function_name: attributes.lambdaContext?.functionName,
      function_request_id: attributes.lambdaContext?.awsRequestId,
      sampling_rate: attributes.sampleRateValue,
      xray_trace_id: attributes.xRayTraceId,
      tenant_id: attributes.lambdaContext?.tenantId,
    };
    return new LogItem({ attributes: baseAttributes }).addAttributes(additionalLogAttributes);
  }

  /** Powertools' error format (causes included, through this method), stack and location mapped. */
  override formatError(error: Error): LogAttributes {
    const formatted = super.formatError(error);
    if (typeof error.stack !== 'string') return formatted;
    const stack = mapStack(error.stack);
    if (stack === error.stack) return formatted;
    return {
      ...formatted,
      location: this.getCodeLocation(stack),
      // Powertools splits the stack into lines in dev mode (POWERTOOLS_DEV); keep its shape.
      stack: Array.isArray(formatted.stack) ? stack.split('\n') : stack,
    };
  }
}
