import { runService } from '@hybrid/service-kit';
import { authService } from './app';

void runService(authService);
