import { runService } from '@hybrid/service-kit';
import { locationService } from './app';

void runService(locationService);
