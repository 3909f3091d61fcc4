import { runService } from '@hybrid/service-kit';
import { characterService } from './app';

void runService(characterService);
