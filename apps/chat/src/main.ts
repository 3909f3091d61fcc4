import { runService } from '@hybrid/service-kit';
import { chatService } from './app';

void runService(chatService);
