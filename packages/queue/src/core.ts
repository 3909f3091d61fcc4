// Everything of the package except the S3 helpers, for services that do not touch images (auth,
// my, chat): importing `@hybrid/queue/core` does not load the AWS SDK.
export {
  ACCOUNT_DELETED,
  ACCOUNT_EXCHANGE,
  consumeAccountDeletions,
  parseAccountDeleted,
  publishAccountEvent,
  type AccountDeleted,
} from './account';
export {
  ATTEMPT_HEADER,
  PermanentError,
  publishTo,
  QueueConsumer,
  queueSpec,
  useTopology,
  type ConsumerOptions,
  type Delivery,
  type Topology,
} from './consumer';
export {
  attachConsumers,
  ConsumerGroup,
  consumersOf,
  startServiceConsumer,
  type ServiceConsumerOptions,
} from './group';
export {
  parseClassified,
  parseCompleted,
  parseScanJob,
  parseScheduledJob,
  SCHEDULED_JOBS,
  type ClassifiedJob,
  type DisposalStep,
  type NamedRef,
  type ScanCompleted,
  type ScanJob,
  type ScanResult,
  type ScheduledJob,
} from './messages';
