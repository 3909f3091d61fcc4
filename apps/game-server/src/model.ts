import type { Phase, RoomSettings } from '@hybrid/game-protocol';

/** A player as the server stores it (the session token never leaves the server except to its owner). */
export interface PlayerRec {
  id: string;
  nickname: string;
  score: number;
  connected: boolean;
  guessed: boolean;
  sessionToken: string;
  /** The socket currently attached, or null while disconnected. */
  socketId: string | null;
  /** The replica that holds that socket: if it stops heartbeating, the player is marked away. */
  replica?: string | null;
  disconnectedAt: number | null;
  /** When this player guessed the current word (epoch ms), for the drawer's score. */
  guessedAt: number | null;
  /** Points gained in the current turn. */
  gained: number;
  joinedAt: number;
  /** The address the player's socket connects from (server-side only; what a kick bans). */
  addr?: string | null;
}

/** The whole state of one room: what lives in Redis (one JSON document) or in memory. */
export interface RoomRec {
  id: string;
  code: string;
  hostId: string;
  phase: Phase;
  round: number;
  settings: RoomSettings;
  players: PlayerRec[];
  drawerId: string | null;
  word: string | null;
  choices: string[];
  revealed: number[];
  /** Hints already given this turn. */
  hintsGiven: number;
  turnStartedAt: number | null;
  endsAt: number | null;
  nextHintAt: number | null;
  /** Players still to draw this round, in order. */
  queue: string[];
  usedWords: string[];
  /** target player id -> ids of the players who voted to kick them. */
  kickVotes: Record<string, string[]>;
  /** Addresses of kicked players: no new seat from them for the room's lifetime. */
  bans?: string[];
  /** Identifies one game for the results outbox (idempotent writes). */
  gameId: string | null;
  /** Next time the room's timer must run (epoch ms), or null. */
  wake: number | null;
  version: number;
  createdAt: number;
}

/** A finished game's result, queued in the outbox until PostgreSQL has it. */
export interface GameResult {
  gameId: string;
  roomId: string;
  code: string;
  language: string;
  rounds: number;
  finishedAt: number;
  players: { playerId: string; nickname: string; score: number; rank: number }[];
}

export const roomChannel = (roomId: string) => `r:${roomId}`;
export const playerChannel = (playerId: string) => `p:${playerId}`;
/** Players who may see unfiltered chat during a turn: the drawer and those who guessed. */
export const insidersChannel = (roomId: string) => `i:${roomId}`;
