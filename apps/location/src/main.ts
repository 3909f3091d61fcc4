// First: it decides which modules' source maps are read as they load.
import '@hybrid/service-kit/source-maps';
import { runService } from '@hybrid/service-kit';
import { locationService } from './app';

void runService(locationService);
