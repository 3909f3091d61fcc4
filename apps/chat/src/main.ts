// First: it decides which modules' source maps are read as they load.
import '@hybrid/service-kit/source-maps';
import { runService } from '@hybrid/service-kit';
import { chatService } from './app';

void runService(chatService);
