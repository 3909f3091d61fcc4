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
export { createS3, imageKeys } from './images';
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
