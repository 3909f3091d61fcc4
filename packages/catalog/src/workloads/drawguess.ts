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
