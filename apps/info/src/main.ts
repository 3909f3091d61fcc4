import { runService } from '@hybrid/service-kit';
import { infoService } from './app';

void runService(infoService);
