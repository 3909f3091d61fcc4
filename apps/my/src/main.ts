import { runService } from '@hybrid/service-kit';
import { myService } from './app';

void runService(myService);
