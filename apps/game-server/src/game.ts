/**
 * The rules of DrawGuess as pure functions over a room record. They change the record and list
 * the effects (events to send, channels to join, results to record); the socket layer saves the
 * record and then carries the effects out, holding the room's lock so effects keep their order.
 */
import { randomBytes } from 'node:crypto';
import { isHidden, judgeGuess, maskWord, type PlayerView, type RoomState } from '@hybrid/game-protocol';
import type { GameResult, PlayerRec, RoomRec } from './model';
import { pickWords, wordPool } from './words';

export interface Timing {
  /** Multiplies every duration (tests run games fast). */
  readonly scale: number;
  readonly chooseMs: number;
  readonly turnEndMs: number;
  readonly gameEndMs: number;
  readonly graceMs: number;
}

export type Effect =
  /** Send to every socket of the room, except the given players. */
  | {
      readonly t: 'room';
      readonly event: string;
      readonly payload: unknown;
      readonly except?: string[];
      /** Only the drawer and the players who guessed. */
      readonly insiders?: boolean;
    }
  /** Send to one player's sockets. */
  | { readonly t: 'player'; readonly playerId: string; readonly event: string; readonly payload: unknown }
  /** Send each member of the room its own `room:state`. */
  | { readonly t: 'state' }
  | { readonly t: 'insiders-join'; readonly playerId: string }
  | { readonly t: 'insiders-reset' }
  | { readonly t: 'drawing-clear' }
  | { readonly t: 'result'; readonly result: GameResult }
  /** The player is gone from the room: their sockets leave its channels. */
  | { readonly t: 'detach'; readonly playerId: string }
  | { readonly t: 'room-deleted' };

export const newId = (bytes = 9) => randomBytes(bytes).toString('base64url');
const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';
export function newCode(length = 6): string {
  const bytes = randomBytes(length);
  return [...bytes].map((b) => CODE_ALPHABET[b % CODE_ALPHABET.length]).join('');
}

// ---- scoring (documented in docs/protocol.md) ----

/** Points for a correct guess: 50 at the last moment up to 300 at the first, linear in the time left. */
export function guesserPoints(remainingFraction: number): number {
  const r = Math.min(1, Math.max(0, remainingFraction));
  return 50 + Math.round(250 * r);
}

/**
 * Points for the drawer at the end of a turn: the share of guessers who got it times
 * (50 + 150 x their mean remaining-time fraction). Nobody guessed: 0.
 */
export function drawerPoints(guessers: number, remainingFractions: readonly number[]): number {
  if (guessers <= 0 || remainingFractions.length === 0) return 0;
  const mean = remainingFractions.reduce((a, b) => a + b, 0) / remainingFractions.length;
  return Math.round((remainingFractions.length / guessers) * (50 + 150 * mean));
}

/** How many letters hints may reveal: never more than half the word's letters. */
export function hintBudget(word: string, hints: number): number {
  const letters = [...word].filter(isHidden).length;
  return Math.min(hints, Math.floor(letters / 2));
}

// ---- views ----

const playerView = (p: PlayerRec): PlayerView => ({
  id: p.id,
  nickname: p.nickname,
  score: p.score,
  connected: p.connected,
  guessed: p.guessed,
});

export function hintOf(room: RoomRec): string | null {
  return room.word === null ? null : maskWord(room.word, new Set(room.revealed));
}

/** The room as `viewer` may see it: only the drawer sees the word. */
export function stateFor(room: RoomRec, viewer: string | null): RoomState {
  const hint =
    room.word !== null && viewer !== null && viewer === room.drawerId && room.phase === 'drawing'
      ? room.word
      : hintOf(room);
  return {
    roomId: room.id,
    code: room.code,
    hostId: room.hostId,
    phase: room.phase,
    round: room.round,
    rounds: room.settings.rounds,
    players: room.players.map(playerView),
    drawerId: room.drawerId,
    hint: room.phase === 'drawing' ? hint : null,
    endsAt: room.endsAt,
    // Custom words are the word pool: nobody's view carries them (they would give answers away).
    settings: { ...room.settings, customWords: [] },
  };
}

export const connectedPlayers = (room: RoomRec) => room.players.filter((p) => p.connected);
export const findPlayer = (room: RoomRec, id: string | undefined) =>
  id === undefined ? undefined : room.players.find((p) => p.id === id);

/** Recomputes when the room's timer must next run. */
export function updateWake(room: RoomRec, t: Timing): void {
  const times: number[] = [];
  if (room.endsAt !== null) times.push(room.endsAt);
  if (room.nextHintAt !== null) times.push(room.nextHintAt);
  for (const p of room.players) if (p.disconnectedAt !== null) times.push(p.disconnectedAt + t.graceMs);
  room.wake = times.length ? Math.min(...times) : null;
}

// ---- transitions ----

export function newRoom(opts: {
  id: string;
  code: string;
  host: PlayerRec;
  settings: RoomRec['settings'];
  now: number;
}): RoomRec {
  return {
    id: opts.id,
    code: opts.code,
    hostId: opts.host.id,
    phase: 'lobby',
    round: 0,
    settings: opts.settings,
    players: [opts.host],
    drawerId: null,
    word: null,
    choices: [],
    revealed: [],
    hintsGiven: 0,
    turnStartedAt: null,
    endsAt: null,
    nextHintAt: null,
    queue: [],
    usedWords: [],
    kickVotes: {},
    gameId: null,
    wake: null,
    version: 0,
    createdAt: opts.now,
  };
}

export function newPlayer(nickname: string, now: number, socketId: string | null): PlayerRec {
  return {
    id: newId(),
    nickname,
    score: 0,
    connected: socketId !== null,
    guessed: false,
    sessionToken: randomBytes(24).toString('base64url'),
    socketId,
    disconnectedAt: null,
    guessedAt: null,
    gained: 0,
    joinedAt: now,
  };
}

const inGame = (room: RoomRec) =>
  room.phase === 'choosing' || room.phase === 'drawing' || room.phase === 'turn-end';

/**
 * A round's drawers, in seat order: every player, away ones too. One who is back by the time their
 * turn comes draws; one still away then is skipped (`nextTurn`).
 */
const roundQueue = (room: RoomRec): string[] => room.players.map((p) => p.id);

export function startGame(room: RoomRec, now: number, t: Timing, fx: Effect[]): void {
  for (const p of room.players) {
    p.score = 0;
    p.gained = 0;
    p.guessed = false;
    p.guessedAt = null;
  }
  room.round = 1;
  room.usedWords = [];
  room.gameId = newId(12);
  room.queue = roundQueue(room);
  nextTurn(room, now, t, fx);
}

/** Moves to the next drawer (or round, or the end of the game). */
export function nextTurn(room: RoomRec, now: number, t: Timing, fx: Effect[]): void {
  for (const p of room.players) {
    p.guessed = false;
    p.guessedAt = null;
    p.gained = 0;
  }
  room.word = null;
  room.revealed = [];
  room.hintsGiven = 0;
  room.nextHintAt = null;
  room.choices = [];
  fx.push({ t: 'drawing-clear' }, { t: 'insiders-reset' });
  if (connectedPlayers(room).length < 2) return endGame(room, now, t, fx);
  let drawer: PlayerRec | undefined;
  for (;;) {
    while (!drawer && room.queue.length) {
      const candidate = findPlayer(room, room.queue.shift());
      if (candidate?.connected) drawer = candidate;
    }
    if (drawer) break;
    room.round += 1;
    if (room.round > room.settings.rounds) return endGame(room, now, t, fx);
    room.queue = roundQueue(room);
  }
  room.phase = 'choosing';
  room.drawerId = drawer.id;
  room.choices = pickWords(wordPool(room.settings), room.settings.wordChoices, room.usedWords);
  room.turnStartedAt = null;
  room.endsAt = now + t.chooseMs * t.scale;
  updateWake(room, t);
  fx.push(
    { t: 'state' },
    { t: 'player', playerId: drawer.id, event: 'word:choices', payload: { words: room.choices } },
  );
}

export function chooseWord(room: RoomRec, index: number, now: number, t: Timing, fx: Effect[]): string {
  const word = room.choices[index] ?? room.choices[0]!;
  room.word = word;
  room.usedWords = [...room.usedWords, word].slice(-200);
  room.choices = [];
  room.phase = 'drawing';
  room.turnStartedAt = now;
  const drawMs = room.settings.drawTimeSec * 1000 * t.scale;
  room.endsAt = now + drawMs;
  room.revealed = [];
  room.hintsGiven = 0;
  room.nextHintAt =
    hintBudget(word, room.settings.hints) > 0 ? now + drawMs / (room.settings.hints + 1) : null;
  updateWake(room, t);
  const drawerId = room.drawerId!;
  fx.push(
    { t: 'insiders-join', playerId: drawerId },
    { t: 'state' },
    {
      t: 'room',
      event: 'turn:start',
      payload: { drawerId, hint: hintOf(room), endsAt: room.endsAt, round: room.round },
      except: [drawerId],
    },
    {
      t: 'player',
      playerId: drawerId,
      event: 'turn:start',
      payload: { drawerId, hint: word, endsAt: room.endsAt, round: room.round },
    },
  );
  return word;
}

function revealHint(room: RoomRec, now: number, t: Timing, fx: Effect[]): void {
  const word = room.word!;
  const hidden = [...word]
    .map((ch, i) => (isHidden(ch) && !room.revealed.includes(i) ? i : -1))
    .filter((i) => i >= 0);
  if (hidden.length > 1 && room.hintsGiven < hintBudget(word, room.settings.hints)) {
    const pick = hidden[randomBytes(1)[0]! % hidden.length]!;
    room.revealed = [...room.revealed, pick];
    room.hintsGiven += 1;
    fx.push({ t: 'room', event: 'hint', payload: { hint: hintOf(room) }, except: [room.drawerId!] });
  }
  const drawMs = room.settings.drawTimeSec * 1000 * t.scale;
  const next = room.turnStartedAt! + ((room.hintsGiven + 1) * drawMs) / (room.settings.hints + 1);
  room.nextHintAt =
    room.hintsGiven < hintBudget(word, room.settings.hints) && next < room.endsAt! ? next : null;
  if (room.nextHintAt !== null && room.nextHintAt <= now) room.nextHintAt = now + 1;
}

/** A guesser's chat during a turn. Returns whether it was correct and whether it was close. */
export function guess(
  room: RoomRec,
  player: PlayerRec,
  text: string,
  now: number,
  t: Timing,
  fx: Effect[],
): { correct: boolean; close: boolean } {
  const verdict = judgeGuess(text, room.word!);
  if (!verdict.correct) return verdict;
  const drawMs = room.settings.drawTimeSec * 1000 * t.scale;
  const remaining = (room.endsAt! - now) / drawMs;
  const points = guesserPoints(remaining);
  player.guessed = true;
  player.guessedAt = now;
  player.gained = points;
  player.score += points;
  fx.push(
    { t: 'room', event: 'guess:correct', payload: { playerId: player.id, points } },
    { t: 'insiders-join', playerId: player.id },
  );
  const waiting = room.players.filter((p) => p.connected && p.id !== room.drawerId && !p.guessed);
  if (waiting.length === 0) endTurn(room, now, t, fx);
  else fx.push({ t: 'state' });
  return verdict;
}

export function endTurn(room: RoomRec, now: number, t: Timing, fx: Effect[]): void {
  const drawer = findPlayer(room, room.drawerId ?? undefined);
  const gained: Record<string, number> = {};
  if (room.phase === 'drawing' && room.word !== null) {
    const drawMs = room.settings.drawTimeSec * 1000 * t.scale;
    const guessers = room.players.filter((p) => p.id !== room.drawerId && (p.connected || p.guessed));
    const fractions = guessers
      .filter((p) => p.guessed && p.guessedAt !== null)
      .map((p) => Math.max(0, (room.endsAt! - p.guessedAt!) / drawMs));
    if (drawer) {
      drawer.gained = drawerPoints(guessers.length, fractions);
      drawer.score += drawer.gained;
    }
    for (const p of room.players) gained[p.id] = p.gained;
  }
  const word = room.word ?? '';
  room.phase = 'turn-end';
  room.nextHintAt = null;
  room.endsAt = now + t.turnEndMs * t.scale;
  updateWake(room, t);
  const scores = Object.fromEntries(room.players.map((p) => [p.id, p.score]));
  fx.push({ t: 'room', event: 'turn:end', payload: { word, gained, scores } }, { t: 'state' });
}

export function endGame(room: RoomRec, now: number, t: Timing, fx: Effect[]): void {
  const wasPlaying = room.gameId !== null && room.round > 0;
  room.phase = 'game-end';
  room.drawerId = null;
  room.word = null;
  room.choices = [];
  room.revealed = [];
  room.nextHintAt = null;
  room.queue = [];
  room.endsAt = now + t.gameEndMs * t.scale;
  updateWake(room, t);
  const ranking = [...room.players]
    .sort((a, b) => b.score - a.score || a.joinedAt - b.joinedAt)
    .map((p) => ({ playerId: p.id, nickname: p.nickname, score: p.score }));
  fx.push({ t: 'room', event: 'game:end', payload: { ranking } }, { t: 'state' });
  if (wasPlaying && ranking.length) {
    let rank = 0;
    let last = Infinity;
    const players = ranking.map((r, i) => {
      if (r.score < last) rank = i + 1;
      last = r.score;
      return { ...r, rank };
    });
    fx.push({
      t: 'result',
      result: {
        gameId: room.gameId!,
        roomId: room.id,
        code: room.code,
        language: room.settings.language,
        rounds: room.settings.rounds,
        finishedAt: now,
        players,
      },
    });
  }
  room.gameId = null;
}

function backToLobby(room: RoomRec, t: Timing, fx: Effect[]): void {
  room.phase = 'lobby';
  room.round = 0;
  room.endsAt = null;
  room.drawerId = null;
  for (const p of room.players) {
    p.score = 0;
    p.guessed = false;
    p.gained = 0;
  }
  updateWake(room, t);
  fx.push({ t: 'state' });
}

/**
 * Takes a player out of the room (left, kicked, or gone past the grace period): the host passes
 * on, a turn whose drawer left ends, a game without two connected players ends. Returns false when
 * the room is now empty and must be deleted.
 */
export function removePlayer(room: RoomRec, playerId: string, now: number, t: Timing, fx: Effect[]): boolean {
  const idx = room.players.findIndex((p) => p.id === playerId);
  if (idx < 0) return room.players.length > 0;
  room.players.splice(idx, 1);
  room.queue = room.queue.filter((id) => id !== playerId);
  delete room.kickVotes[playerId];
  for (const k of Object.keys(room.kickVotes))
    room.kickVotes[k] = room.kickVotes[k]!.filter((v) => v !== playerId);
  fx.push({ t: 'detach', playerId });
  if (room.players.length === 0) {
    fx.push({ t: 'room-deleted' });
    return false;
  }
  if (room.hostId === playerId) room.hostId = (connectedPlayers(room)[0] ?? room.players[0]!).id;
  afterPresenceChange(room, playerId, now, t, fx);
  updateWake(room, t);
  fx.push({ t: 'state' });
  return true;
}

/** After a player left or disconnected: end the turn or game when it can no longer go on. */
function afterPresenceChange(room: RoomRec, playerId: string, now: number, t: Timing, fx: Effect[]): void {
  if (!inGame(room)) return;
  if (connectedPlayers(room).length < 2) return endGame(room, now, t, fx);
  const drawerGone = room.drawerId === playerId && !findPlayer(room, playerId)?.connected;
  if (drawerGone && room.phase === 'choosing') return nextTurn(room, now, t, fx);
  if (drawerGone && room.phase === 'drawing') return endTurn(room, now, t, fx);
  if (room.phase === 'drawing') {
    const waiting = room.players.filter((p) => p.connected && p.id !== room.drawerId && !p.guessed);
    const anyGuessed = room.players.some((p) => p.guessed);
    if (waiting.length === 0 && anyGuessed) endTurn(room, now, t, fx);
  }
}

export function disconnectPlayer(
  room: RoomRec,
  player: PlayerRec,
  now: number,
  t: Timing,
  fx: Effect[],
): void {
  player.connected = false;
  player.socketId = null;
  player.replica = null;
  player.disconnectedAt = now;
  if (room.hostId === player.id) {
    const other = connectedPlayers(room)[0];
    if (other) room.hostId = other.id;
  }
  // A drawer or player who drops may come back (another replica, a new connection): the turn and
  // the game go on; only removal (leave, kick, grace over) ends them. A turn whose last missing
  // guesser dropped ends now.
  if (room.phase === 'drawing' && player.id !== room.drawerId) {
    const waiting = room.players.filter((p) => p.connected && p.id !== room.drawerId && !p.guessed);
    if (waiting.length === 0 && room.players.some((p) => p.guessed)) endTurn(room, now, t, fx);
  }
  updateWake(room, t);
  fx.push({ t: 'state' });
}

/**
 * Runs what is due: a drawer who did not choose gets a word, hints, the end of a turn, the next
 * turn, the return to the lobby, players past their grace period. Returns false when the room
 * became empty.
 */
export function advance(room: RoomRec, now: number, t: Timing, fx: Effect[]): boolean {
  for (const p of [...room.players]) {
    if (p.disconnectedAt !== null && p.disconnectedAt + t.graceMs <= now) {
      if (!removePlayer(room, p.id, now, t, fx)) return false;
    }
  }
  // Every step moves the phase forward, so this ends; the bound is only a guard.
  for (let i = 0; i < 8; i++) {
    if (
      room.phase === 'drawing' &&
      room.nextHintAt !== null &&
      now >= room.nextHintAt &&
      now < room.endsAt!
    ) {
      revealHint(room, now, t, fx);
      continue;
    }
    if (room.endsAt === null || now < room.endsAt) break;
    switch (room.phase) {
      case 'choosing':
        chooseWord(room, Math.floor(Math.random() * room.choices.length), now, t, fx);
        break;
      case 'drawing':
        endTurn(room, now, t, fx);
        break;
      case 'turn-end':
        nextTurn(room, now, t, fx);
        break;
      case 'game-end':
        backToLobby(room, t, fx);
        break;
      case 'lobby':
        room.endsAt = null;
        break;
    }
  }
  updateWake(room, t);
  return true;
}
