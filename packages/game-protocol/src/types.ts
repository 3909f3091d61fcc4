/**
 * The DrawGuess Socket.IO contract (v4, default namespace). Every client event takes an ack that
 * receives `{ ok: true, data }` or `{ ok: false, error: { code, message } }`. See docs/protocol.md.
 */

export const ERROR_CODES = [
  'INVALID_PAYLOAD',
  'NOT_FOUND',
  'ROOM_FULL',
  'NOT_HOST',
  'NOT_DRAWER',
  'BAD_STATE',
  'RATE_LIMITED',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export interface AckError {
  readonly code: ErrorCode;
  readonly message: string;
}
export type Ack<T> =
  { readonly ok: true; readonly data: T } | { readonly ok: false; readonly error: AckError };
export type AckFn<T> = (res: Ack<T>) => void;

export type Language = 'en' | 'ko';
export type Phase = 'lobby' | 'choosing' | 'drawing' | 'turn-end' | 'game-end';
export type Tool = 'pen' | 'eraser';
/** A point in normalized canvas coordinates, each in 0..1. */
export type Point = readonly [number, number];

export interface RoomSettings {
  readonly rounds: number;
  readonly drawTimeSec: number;
  readonly wordChoices: number;
  readonly hints: number;
  readonly maxPlayers: number;
  readonly isPrivate: boolean;
  readonly language: Language;
  readonly customWords: readonly string[];
  readonly customWordsOnly: boolean;
}

export interface PlayerView {
  readonly id: string;
  readonly nickname: string;
  readonly score: number;
  readonly connected: boolean;
  readonly guessed: boolean;
}

export interface RoomState {
  readonly roomId: string;
  readonly code: string;
  readonly hostId: string;
  readonly phase: Phase;
  readonly round: number;
  readonly rounds: number;
  readonly players: readonly PlayerView[];
  readonly drawerId: string | null;
  /** The word with unrevealed letters as `_` (spaces kept); the real word only for the drawer. */
  readonly hint: string | null;
  /** Epoch milliseconds when the current phase ends, or null. */
  readonly endsAt: number | null;
  readonly settings: RoomSettings;
}

export interface Stroke {
  readonly points: readonly Point[];
  readonly color: string;
  readonly size: number;
  readonly tool: Tool;
}
export interface Fill {
  readonly x: number;
  readonly y: number;
  readonly color: string;
}
/** One operation of the drawing, in order; a late joiner receives the whole list. */
export type DrawOp =
  | { readonly type: 'stroke'; readonly stroke: Stroke }
  | { readonly type: 'fill'; readonly fill: Fill }
  | { readonly type: 'clear' };

// Client -> server payloads.
export interface RoomCreateInput {
  readonly nickname: string;
  readonly settings?: Partial<RoomSettings>;
}
export interface RoomCreateResult {
  readonly roomId: string;
  readonly code: string;
  readonly playerId: string;
  readonly sessionToken: string;
}
export interface RoomJoinInput {
  readonly code: string;
  readonly nickname: string;
  readonly sessionToken?: string;
}
export interface RoomJoinResult {
  readonly roomId: string;
  readonly playerId: string;
  readonly sessionToken: string;
  readonly state: RoomState;
}
export interface ChatResult {
  readonly correct: boolean;
  readonly close: boolean;
}

export interface ClientToServerEvents {
  'room:create': (input: RoomCreateInput, ack: AckFn<RoomCreateResult>) => void;
  'room:join': (input: RoomJoinInput, ack: AckFn<RoomJoinResult>) => void;
  'room:leave': (input: Record<string, never>, ack: AckFn<null>) => void;
  'game:start': (input: Record<string, never>, ack: AckFn<null>) => void;
  'word:choose': (input: { readonly index: number }, ack: AckFn<{ readonly word: string }>) => void;
  'draw:stroke': (input: Stroke, ack: AckFn<null>) => void;
  'draw:fill': (input: Fill, ack: AckFn<null>) => void;
  'draw:undo': (input: Record<string, never>, ack: AckFn<null>) => void;
  'draw:clear': (input: Record<string, never>, ack: AckFn<null>) => void;
  'chat:send': (input: { readonly text: string }, ack: AckFn<ChatResult>) => void;
  'kick:vote': (
    input: { readonly playerId: string },
    ack: AckFn<{ readonly votes: number; readonly needed: number; readonly kicked: boolean }>,
  ) => void;
}

export interface ServerToClientEvents {
  'room:state': (state: RoomState) => void;
  'word:choices': (payload: { readonly words: readonly string[] }) => void;
  'turn:start': (payload: {
    readonly drawerId: string;
    readonly hint: string;
    readonly endsAt: number;
    readonly round: number;
  }) => void;
  hint: (payload: { readonly hint: string }) => void;
  'draw:stroke': (payload: Stroke & { readonly playerId: string }) => void;
  'draw:fill': (payload: Fill & { readonly playerId: string }) => void;
  'draw:undo': (payload: { readonly playerId: string }) => void;
  'draw:clear': (payload: { readonly playerId: string }) => void;
  /** The current drawing, sent to a player who joins or reconnects mid-turn. */
  'draw:sync': (payload: { readonly ops: readonly DrawOp[] }) => void;
  'chat:message': (payload: {
    readonly playerId: string;
    readonly nickname: string;
    readonly text: string;
    readonly at: number;
  }) => void;
  'guess:correct': (payload: { readonly playerId: string; readonly points: number }) => void;
  'turn:end': (payload: {
    readonly word: string;
    readonly gained: Readonly<Record<string, number>>;
    readonly scores: Readonly<Record<string, number>>;
  }) => void;
  'game:end': (payload: {
    readonly ranking: readonly {
      readonly playerId: string;
      readonly nickname: string;
      readonly score: number;
    }[];
  }) => void;
  'player:kicked': (payload: { readonly playerId: string }) => void;
}
