/** Template support for SQS: AWS::SQS::Queue (name and ARN; queue attributes are not emulated). */
import type { LocalQueue } from '../core/model.ts';
import type { TemplateSupport } from '../template/support.ts';

export const sqsTemplate: TemplateSupport = {
  service: 'sqs',
  resources: {
    'AWS::SQS::Queue'({ logicalId, id, model }) {
      model.queues.push({
        logicalId,
        name: id.attrs.QueueName as string,
        arn: id.attrs.Arn as string,
      } satisfies LocalQueue);
    },
  },
};
