/** The archive's objects in S3 (RunHistoryBucket; its default encryption applies). */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { ArchiveSink } from './archive.ts';

export function createS3ArchiveSink(s3: Pick<S3Client, 'send'>, bucket: string): ArchiveSink {
  return {
    async put(key, body, contentType) {
      await s3.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          ContentLength: body.length,
          ContentType: contentType,
        }),
      );
    },
  };
}
