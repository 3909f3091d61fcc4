import { runService } from '@hybrid/service-kit';
import { storageWorker } from './app';

void runService(storageWorker);
