import { Construct } from 'constructs';
import { checkDataProps, DataStatefulSet, type DataServiceProps } from './data-service';
import { parseQuantity } from '@hybrid/catalog';

export type RedisProps = DataServiceProps;

/** Redis as a StatefulSet: append-only persistence, password from Secret `<name>-auth`, maxmemory below the limit. */
export class Redis extends Construct {
  readonly name: string;
  constructor(scope: Construct, id: string, props: RedisProps) {
    super(scope, id);
    const { problems, image } = checkDataProps('Redis', 'redis', props);
    problems.throwIfAny('Redis');
    const w = props.workload;
    this.name = w.name;
    // Leave a quarter of the limit for fragmentation, buffers and the AOF rewrite.
    const maxMiB = Math.floor((parseQuantity(w.resources.limits.memory) * 0.75) / 2 ** 20);
    new DataStatefulSet(this, 'Resource', props, image, {
      engine: 'redis',
      uid: 999,
      dataPath: '/data',
      writablePaths: ['/tmp'],
      command: ['redis-server'],
      args: [
        '--appendonly',
        'yes',
        '--maxmemory',
        `${maxMiB}mb`,
        '--maxmemory-policy',
        'noeviction',
        '--requirepass',
        '$(REDIS_PASSWORD)',
      ],
      env: [
        { name: 'REDIS_PASSWORD', valueFrom: { secretKeyRef: { name: `${w.name}-auth`, key: 'password' } } },
      ],
      configMounts: [],
      configVolumes: [],
      probe: {
        exec: { command: ['sh', '-c', 'REDISCLI_AUTH="$REDIS_PASSWORD" redis-cli ping | grep -q PONG'] },
        timeoutSeconds: 3,
      },
    });
  }
}
