/**
 * The local S3 server as a process of its own (benchmarks run it apart from the services, as AWS
 * runs S3 apart from them). Configured by environment:
 *
 *   LOCAL_S3_BUCKETS            comma-separated bucket names (required)
 *   LOCAL_S3_ACCESS_KEY_ID      the one key pair it accepts (required)
 *   LOCAL_S3_SECRET_ACCESS_KEY
 *   LOCAL_S3_REGION             @default us-east-1
 *   LOCAL_S3_PORT               @default 0 (any free port)
 *
 * Once listening it writes one line to stdout, `{"endpoint":"http://127.0.0.1:<port>"}`, and it
 * stops on SIGTERM or SIGINT. A configuration problem is written to stderr, exit code 2.
 */
import { startLocalS3 } from './s3-local';

async function main(): Promise<void> {
  const env = process.env;
  const port = Number(env.LOCAL_S3_PORT ?? '0');
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`LOCAL_S3_PORT "${env.LOCAL_S3_PORT}" must be a port number`);
  }
  const buckets = (env.LOCAL_S3_BUCKETS ?? '').split(',').filter(Boolean);
  if (!buckets.length) throw new Error('LOCAL_S3_BUCKETS must name at least one bucket');
  const server = await startLocalS3({
    buckets,
    credentials: {
      accessKeyId: env.LOCAL_S3_ACCESS_KEY_ID ?? '',
      secretAccessKey: env.LOCAL_S3_SECRET_ACCESS_KEY ?? '',
    },
    region: env.LOCAL_S3_REGION ?? 'us-east-1',
    port,
  });
  const stop = () => {
    void server.close().then(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  process.stdout.write(`${JSON.stringify({ endpoint: server.endpoint })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`local S3: ${(err as Error).message}\n`);
  process.exit(2);
});
