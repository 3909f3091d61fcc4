import { runService } from '@hybrid/service-kit';
import { scanService } from './app';

void runService(scanService);
