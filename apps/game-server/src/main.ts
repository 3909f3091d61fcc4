import { runService } from '@hybrid/service-kit';
import { createGameService } from './app';

void runService(createGameService());
