import { runService } from '@hybrid/service-kit';
import { aiWorker } from './app';

void runService(aiWorker);
