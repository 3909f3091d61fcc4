import type { WorkloadSpec } from '../types';

export const gameServer: WorkloadSpec = {
  name: 'game-server',
  product: 'drawguess',
  kind: 'socket',
  cluster: 'pi',
  description: 'DrawGuess Socket.IO game server: rooms, turns, drawing relay, scoring.',
  port: 3000,
  route: '/',
  env: {
    CORS_ORIGINS: {
      type: 'list',
      description: 'Comma-separated origins allowed for HTTP CORS and the Socket.IO handshake.',
      default: 'http://localhost:5173',
    },
    CHOOSE_TIME_SEC: {
      type: 'number',
      description: 'How long the drawer has to pick a word before one is picked for them.',
      default: '15',
      min: 0.05,
      max: 120,
    },
    TURN_END_SEC: {
      type: 'number',
      description: 'Pause between turns, showing the word and the points gained.',
      default: '5',
      min: 0.05,
      max: 60,
    },
    GAME_END_SEC: {
      type: 'number',
      description: 'How long the final ranking shows before the room returns to the lobby.',
      default: '15',
      min: 0.05,
      max: 300,
    },
    RECONNECT_GRACE_SEC: {
      type: 'number',
      description: 'How long a disconnected player keeps their seat and score for a sessionToken rejoin.',
      default: '60',
      min: 0.05,
      max: 3600,
    },
    GAME_TIME_SCALE: {
      type: 'number',
      description:
        'Multiplies the duration of every game phase (word choice, draw time, turn end, game end; not the reconnect grace period); below 1 only for tests.',
      default: '1',
      min: 0.001,
      max: 10,
    },
    STROKE_RATE: {
      type: 'number',
      description: 'Drawing events (stroke, fill, undo, clear) a socket may send per second, sustained.',
      default: '60',
      min: 1,
      max: 10000,
    },
    STROKE_BURST: {
      type: 'int',
      description: 'Drawing events a socket may send in a burst above the sustained rate.',
      default: '120',
      min: 1,
      max: 100000,
    },
    CHAT_RATE: {
      type: 'number',
      description: 'Chat messages (and guesses) a socket may send per second, sustained.',
      default: '3',
      min: 0.1,
      max: 1000,
    },
    CHAT_BURST: {
      type: 'int',
      description: 'Chat messages a socket may send in a burst.',
      default: '6',
      min: 1,
      max: 10000,
    },
    ROOM_EVENT_RATE: {
      type: 'number',
      description: 'Other events (create, join, start, choose, vote) a socket may send per second.',
      default: '5',
      min: 0.1,
      max: 10000,
    },
    ROOM_EVENT_BURST: {
      type: 'int',
      description: 'Other events a socket may send in a burst.',
      default: '20',
      min: 1,
      max: 100000,
    },
    NODE_OPTIONS: {
      type: 'string',
      description:
        'Node flags. The V8 heap is sized for the 256Mi limit: a 4 MB young generation and old space capped at 160 MB make V8 collect instead of growing (measured by pnpm bench game: RSS with 1,000 players about 150 MB instead of about 250 MB, for somewhat more GC work).',
      default: '--max-semi-space-size=4 --max-old-space-size=160',
    },
  },
  dependencies: {
    postgres: { server: 'rds', database: 'drawguess', optional: true },
    redis: { server: 'game-redis', db: 0, keyPrefix: 'dg:', optional: true },
  },
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { cpu: '1', memory: '256Mi' } },
  replicas: { min: 2, max: 3 },
};

export const web: WorkloadSpec = {
  name: 'web',
  product: 'drawguess',
  kind: 'static',
  cluster: 'aws',
  description: 'DrawGuess browser client: static files in the edge stack site bucket behind the CDN.',
  resources: { requests: { cpu: '0', memory: '0' }, limits: { memory: '0' } },
};

export const drawguessWorkloads: readonly WorkloadSpec[] = [gameServer, web];
