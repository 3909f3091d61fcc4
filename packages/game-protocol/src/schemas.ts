import type { Fill, Language, RoomCreateInput, RoomJoinInput, RoomSettings, Stroke } from './types';
import { v, type Validator } from './validate';

export const LIMITS = {
  nickname: { min: 1, max: 24 },
  chat: { min: 1, max: 200 },
  strokePoints: { min: 1, max: 256 },
  strokeSize: { min: 1, max: 64 },
  customWords: { max: 500, wordMax: 32 },
  rounds: { min: 1, max: 10, default: 3 },
  drawTimeSec: { min: 10, max: 240, default: 80 },
  wordChoices: { min: 1, max: 5, default: 3 },
  hints: { min: 0, max: 5, default: 2 },
  maxPlayers: { min: 2, max: 12, default: 8 },
  /** Socket.IO maxHttpBufferSize. */
  maxPayloadBytes: 64 * 1024,
} as const;

export const DEFAULT_SETTINGS: RoomSettings = {
  rounds: LIMITS.rounds.default,
  drawTimeSec: LIMITS.drawTimeSec.default,
  wordChoices: LIMITS.wordChoices.default,
  hints: LIMITS.hints.default,
  maxPlayers: LIMITS.maxPlayers.default,
  isPrivate: false,
  language: 'en',
  customWords: [],
  customWordsOnly: false,
};

const COLOR = /^#[0-9a-fA-F]{6}$/;
const unit = v.number({ min: 0, max: 1 });
const color = v.string({ pattern: COLOR });
const empty = v.object({});

const settings = v.object(
  {
    rounds: v.number({ int: true, min: LIMITS.rounds.min, max: LIMITS.rounds.max }),
    drawTimeSec: v.number({ int: true, min: LIMITS.drawTimeSec.min, max: LIMITS.drawTimeSec.max }),
    wordChoices: v.number({ int: true, min: LIMITS.wordChoices.min, max: LIMITS.wordChoices.max }),
    hints: v.number({ int: true, min: LIMITS.hints.min, max: LIMITS.hints.max }),
    maxPlayers: v.number({ int: true, min: LIMITS.maxPlayers.min, max: LIMITS.maxPlayers.max }),
    isPrivate: v.bool(),
    language: v.oneOf(['en', 'ko'] as const) as Validator<Language>,
    // A word of spaces and punctuation alone would show in full in its hint.
    customWords: v.array(
      v.string({ min: 1, max: LIMITS.customWords.wordMax, trim: true, pattern: /[^\s\p{P}]/u }),
      {
        max: LIMITS.customWords.max,
      },
    ),
    customWordsOnly: v.bool(),
  },
  [
    'rounds',
    'drawTimeSec',
    'wordChoices',
    'hints',
    'maxPlayers',
    'isPrivate',
    'language',
    'customWords',
    'customWordsOnly',
  ],
);

const nickname = v.string({ min: LIMITS.nickname.min, max: LIMITS.nickname.max, trim: true });

/** Runtime validators for every client-to-server payload, by event name. */
export const clientSchemas = {
  'room:create': v.object({ nickname, settings }, ['settings']) as Validator<RoomCreateInput>,
  'room:join': v.object(
    {
      code: v.string({ min: 4, max: 12, pattern: /^[A-Za-z0-9]+$/, trim: true }),
      nickname,
      sessionToken: v.string({ min: 16, max: 128 }),
    },
    ['sessionToken'],
  ) as Validator<RoomJoinInput>,
  'room:leave': empty,
  'game:start': empty,
  'word:choose': v.object({ index: v.number({ int: true, min: 0, max: LIMITS.wordChoices.max - 1 }) }),
  'draw:stroke': v.object({
    points: v.array(v.tuple2(unit, unit), LIMITS.strokePoints),
    color,
    size: v.number({ min: LIMITS.strokeSize.min, max: LIMITS.strokeSize.max }),
    tool: v.oneOf(['pen', 'eraser'] as const),
  }) as Validator<Stroke>,
  'draw:fill': v.object({ x: unit, y: unit, color }) as Validator<Fill>,
  'draw:undo': empty,
  'draw:clear': empty,
  'chat:send': v.object({ text: v.string({ min: LIMITS.chat.min, max: LIMITS.chat.max, trim: true }) }),
  'kick:vote': v.object({ playerId: v.string({ min: 1, max: 64 }) }),
} as const;

export type ClientEventName = keyof typeof clientSchemas;

/** Settings with defaults applied; the input must already be validated. */
export function resolveSettings(partial: Partial<RoomSettings> = {}): RoomSettings {
  return { ...DEFAULT_SETTINGS, ...partial };
}
