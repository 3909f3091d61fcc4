/** The single-page app: lobby, room, canvas, chat, overlays, banner; all text through i18n. */
import { LIMITS, type PlayerView, type RoomSettings, type RoomState } from '@hybrid/game-protocol';
import type { GameError } from '../client';
import { GameClient, type KeyValueStore } from '../client';
import { detectLang, translate, type Lang, type MessageKey } from '../i18n';
import { Board, type BoardTool } from './canvas';
import { h, mount } from './dom';

export const PALETTE = [
  '#1f2937',
  '#ffffff',
  '#9ca3af',
  '#ef4444',
  '#f97316',
  '#facc15',
  '#22c55e',
  '#14b8a6',
  '#3b82f6',
  '#8b5cf6',
  '#ec4899',
  '#92400e',
] as const;
export const SIZES = [3, 6, 12, 24, 40] as const;

interface PublicRoom {
  readonly code: string;
  readonly players: number;
  readonly maxPlayers?: number;
  readonly hostNickname?: string;
  readonly language?: string;
}

function sessionStore(): KeyValueStore | undefined {
  try {
    return window.sessionStorage;
  } catch {
    return undefined;
  }
}

export class App {
  private lang: Lang;
  private readonly client: GameClient;
  private readonly root: HTMLElement;
  private board: Board | null = null;
  private choices: readonly string[] = [];
  private myWord: string | null = null;
  private reveal: { word: string; gained: Readonly<Record<string, number>> } | null = null;
  private ranking: readonly { playerId: string; nickname: string; score: number }[] | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly els: Partial<Record<string, HTMLElement>> = {};
  private lastPhase: RoomState['phase'] | null = null;

  constructor(
    root: HTMLElement,
    private readonly apiUrl: string,
  ) {
    this.root = root;
    const saved = safeGet('drawguess.lang');
    this.lang =
      saved === 'ko' || saved === 'en' ? saved : detectLang(navigator.languages ?? [navigator.language]);
    const storage = sessionStore();
    this.client = new GameClient(storage ? { url: apiUrl, storage } : { url: apiUrl });
    this.wire();
    document.documentElement.lang = this.lang;
    if (this.client.seat) {
      this.renderRoomShell();
      void this.client
        .ready()
        .then(() => this.client.resume())
        .catch(() => this.renderLobby());
    } else {
      this.renderLobby();
    }
  }

  private t(key: MessageKey, vars?: Record<string, string | number>): string {
    return translate(this.lang, key, vars);
  }

  /** Drawer shortcuts: B pen, E eraser, F fill, Ctrl/Cmd+Z undo (not while typing). */
  private onKey(e: KeyboardEvent): void {
    const board = this.board;
    if (!board?.enabled || e.altKey) return;
    const target = e.target as HTMLElement | null;
    if (target && (target.tagName === 'INPUT' || target.tagName === 'TEXTAREA' || target.isContentEditable))
      return;
    const key = e.key.toLowerCase();
    if ((e.ctrlKey || e.metaKey) && key === 'z') {
      e.preventDefault();
      void board.undo().catch((e: Error) => this.toast(e.message));
      return;
    }
    if (e.ctrlKey || e.metaKey) return;
    const tool = ({ b: 'pen', e: 'eraser', f: 'fill' } as const)[key as 'b' | 'e' | 'f'];
    if (tool) {
      board.tool = tool;
      this.renderTools();
    }
  }

  private wire(): void {
    document.addEventListener('keydown', (e) => this.onKey(e));
    const c = this.client;
    c.on('status', (s) =>
      this.renderBanner(s === 'reconnecting' || (s === 'connecting' && !!c.seat), s === 'replaced'),
    );
    c.on('seat:lost', (e) => {
      this.toast(this.t('seatLost', { message: e.message }));
      this.renderLobby();
    });
    c.on('state', (s) => this.onState(s));
    c.on('word:choices', ({ words }) => {
      this.choices = words;
      this.renderOverlay();
    });
    c.on('turn:start', () => {
      this.reveal = null;
      this.ranking = null;
      this.board?.reset();
    });
    c.on('draw:stroke', (p) => this.board?.remote({ type: 'stroke', stroke: p }));
    c.on('draw:fill', (p) => this.board?.remote({ type: 'fill', fill: p }));
    c.on('draw:undo', () => this.board?.remoteUndo());
    c.on('draw:clear', () => this.board?.remote({ type: 'clear' }));
    c.on('draw:sync', ({ ops }) => this.board?.sync(ops));
    c.on('chat:message', (m) => this.addChat(m.nickname, m.text, m.playerId === c.playerId ? 'mine' : ''));
    c.on('guess:correct', ({ playerId, points }) => {
      const name = this.nameOf(playerId);
      this.addChat('', this.t('guessed', { name, points }), 'correct');
    });
    c.on('turn:end', ({ word, gained }) => {
      this.reveal = { word, gained };
      this.myWord = null;
      this.choices = [];
      this.renderOverlay();
    });
    c.on('game:end', ({ ranking }) => {
      this.ranking = ranking;
      this.renderOverlay();
    });
    c.on('player:kicked', ({ playerId }) => {
      if (playerId === c.playerId) {
        void c.leave();
        this.renderLobby();
        this.toast(this.t('kicked'));
      }
    });
  }

  // ---------- lobby ----------

  private renderLobby(): void {
    this.stopTimer();
    this.board = null;
    const params = new URLSearchParams(location.search);
    const codeFromLink = (params.get('room') ?? '').toUpperCase();
    const nick = h('input', {
      id: 'nickname',
      name: 'nickname',
      autocomplete: 'nickname',
      maxlength: LIMITS.nickname.max,
      placeholder: this.t('nicknamePlaceholder'),
      value: safeGet('drawguess.nickname') ?? '',
      required: true,
    });
    const num = (
      id: string,
      label: MessageKey,
      lim: { min: number; max: number; default: number },
    ): HTMLElement =>
      h(
        'label',
        { class: 'field' },
        this.t(label),
        h('input', { id, type: 'number', min: lim.min, max: lim.max, value: lim.default }),
      );
    const code = h('input', {
      id: 'room-code',
      name: 'code',
      'aria-label': this.t('roomCode'),
      placeholder: this.t('roomCode'),
      maxlength: 12,
      autocapitalize: 'characters',
      value: codeFromLink,
    });
    const roomsList = h('ul', { class: 'rooms', id: 'public-rooms', 'aria-live': 'polite' });
    const error = h('p', { class: 'error', role: 'alert', id: 'lobby-error' });
    const getNick = (): string | null => {
      const v = nick.value.trim();
      if (!v) {
        error.textContent = this.t('error', { message: this.t('nickname') });
        nick.focus();
        return null;
      }
      safeSet('drawguess.nickname', v);
      return v;
    };
    const join = async (roomCode: string): Promise<void> => {
      const n = getNick();
      if (!n || !roomCode.trim()) return;
      try {
        await this.client.ready();
        await this.client.join(roomCode.trim().toUpperCase(), n);
        this.enterRoom();
      } catch (e) {
        error.textContent = this.t('error', { message: (e as Error).message });
      }
    };
    const create = async (ev: Event): Promise<void> => {
      ev.preventDefault();
      const n = getNick();
      if (!n) return;
      try {
        await this.client.ready();
        const res = await this.client.create(n, this.readSettings());
        await this.client.join(res.code, n);
        this.enterRoom();
      } catch (e) {
        error.textContent = this.t('error', { message: (e as Error).message });
      }
    };
    const refresh = async (): Promise<void> => {
      const rooms = await this.fetchRooms();
      mount(
        roomsList,
        rooms.length
          ? rooms.map((r) =>
              h(
                'li',
                {},
                h('span', { class: 'code' }, r.code),
                h(
                  'span',
                  {},
                  [
                    `${r.players}${r.maxPlayers ? `/${r.maxPlayers}` : ''}`,
                    r.language?.toUpperCase(),
                    r.hostNickname,
                  ]
                    .filter(Boolean)
                    .join(' · '),
                ),
                h('button', { type: 'button', onclick: () => void join(r.code) }, this.t('joinRoom')),
              ),
            )
          : h('li', { class: 'muted' }, this.t('noRooms')),
      );
    };
    const view = h(
      'main',
      { class: 'lobby' },
      this.header(),
      h('p', { class: 'tagline' }, this.t('tagline')),
      h('label', { class: 'field', for: 'nickname' }, this.t('nickname')),
      nick,
      h(
        'form',
        {
          class: 'card',
          id: 'join-form',
          onsubmit: (e: Event) => (e.preventDefault(), void join(code.value)),
        },
        h('h2', {}, this.t('joinRoom')),
        h('div', { class: 'row' }, code, h('button', { type: 'submit', id: 'join-btn' }, this.t('joinRoom'))),
      ),
      h(
        'form',
        { class: 'card', id: 'create-form', onsubmit: (e: Event) => void create(e) },
        h('h2', {}, this.t('createRoom')),
        h(
          'details',
          {},
          h('summary', {}, this.t('settings')),
          h(
            'div',
            { class: 'grid' },
            num('set-rounds', 'rounds', LIMITS.rounds),
            num('set-time', 'drawTime', LIMITS.drawTimeSec),
            num('set-choices', 'wordChoices', LIMITS.wordChoices),
            num('set-hints', 'hints', LIMITS.hints),
            num('set-max', 'maxPlayers', LIMITS.maxPlayers),
            h(
              'label',
              { class: 'field' },
              this.t('wordLanguage'),
              h(
                'select',
                { id: 'set-lang' },
                h('option', { value: 'en', selected: this.lang === 'en' }, 'English'),
                h('option', { value: 'ko', selected: this.lang === 'ko' }, '한국어'),
              ),
            ),
            h(
              'label',
              { class: 'check' },
              h('input', { id: 'set-private', type: 'checkbox' }),
              this.t('privateRoom'),
            ),
            h(
              'label',
              { class: 'field wide' },
              this.t('customWords'),
              h('textarea', { id: 'set-words', rows: 2 }),
            ),
            h(
              'label',
              { class: 'check' },
              h('input', { id: 'set-words-only', type: 'checkbox' }),
              this.t('customWordsOnly'),
            ),
          ),
        ),
        h('button', { type: 'submit', id: 'create-btn', class: 'primary' }, this.t('createRoom')),
      ),
      h(
        'section',
        { class: 'card', 'aria-labelledby': 'rooms-title' },
        h(
          'div',
          { class: 'row' },
          h('h2', { id: 'rooms-title' }, this.t('publicRooms')),
          h('button', { type: 'button', onclick: () => void refresh() }, this.t('refresh')),
        ),
        roomsList,
      ),
      error,
    );
    mount(this.root, view, this.banner());
    void refresh();
  }

  private readSettings(): Partial<RoomSettings> {
    const val = (id: string): string => (document.getElementById(id) as HTMLInputElement | null)?.value ?? '';
    const checked = (id: string): boolean =>
      (document.getElementById(id) as HTMLInputElement | null)?.checked ?? false;
    const int = (id: string, lim: { min: number; max: number; default: number }): number => {
      const n = Math.round(Number(val(id)));
      return Number.isFinite(n) ? Math.min(lim.max, Math.max(lim.min, n)) : lim.default;
    };
    const words = val('set-words')
      .split(/[,\n]/)
      .map((w) => w.trim())
      .filter((w) => w.length > 0 && w.length <= LIMITS.customWords.wordMax)
      .slice(0, LIMITS.customWords.max);
    const settings: Partial<RoomSettings> = {
      rounds: int('set-rounds', LIMITS.rounds),
      drawTimeSec: int('set-time', LIMITS.drawTimeSec),
      wordChoices: int('set-choices', LIMITS.wordChoices),
      hints: int('set-hints', LIMITS.hints),
      maxPlayers: int('set-max', LIMITS.maxPlayers),
      isPrivate: checked('set-private'),
      language: val('set-lang') === 'ko' ? 'ko' : 'en',
      customWords: words,
      customWordsOnly: words.length > 0 && checked('set-words-only'),
    };
    return settings;
  }

  private async fetchRooms(): Promise<PublicRoom[]> {
    try {
      const res = await fetch(new URL('/api/rooms', this.apiUrl));
      if (!res.ok) return [];
      const body = (await res.json()) as unknown;
      const list = Array.isArray(body) ? body : ((body as { rooms?: unknown }).rooms ?? []);
      if (!Array.isArray(list)) return [];
      return list
        .filter(
          (r): r is Record<string, unknown> =>
            typeof r === 'object' && r !== null && typeof r.code === 'string',
        )
        .map((r) => {
          const players =
            typeof r.players === 'number' ? r.players : Array.isArray(r.players) ? r.players.length : 0;
          const room: PublicRoom = { code: String(r.code), players };
          return {
            ...room,
            ...(typeof r.maxPlayers === 'number' ? { maxPlayers: r.maxPlayers } : {}),
            ...(typeof r.hostNickname === 'string' ? { hostNickname: r.hostNickname } : {}),
            ...(typeof r.language === 'string' ? { language: r.language } : {}),
          };
        });
    } catch {
      return [];
    }
  }

  // ---------- room ----------

  private enterRoom(): void {
    if (!this.els.room || !this.root.contains(this.els.room)) this.renderRoomShell();
    const s = this.client.state;
    if (s) this.onState(s);
    const url = new URL(location.href);
    url.searchParams.set('room', this.client.seat?.code ?? '');
    history.replaceState(null, '', url);
  }

  private renderRoomShell(): void {
    const canvas = h('canvas', {
      id: 'board',
      role: 'img',
      'aria-label': this.t('canvas'),
      width: 800,
      height: 600,
    });
    const chatLog = h('ol', {
      id: 'chat-log',
      class: 'chat-log',
      role: 'log',
      'aria-live': 'polite',
      'aria-label': this.t('chat'),
    });
    const chatInput = h('input', {
      id: 'chat-input',
      autocomplete: 'off',
      maxlength: LIMITS.chat.max,
      'aria-label': this.t('chat'),
      placeholder: this.t('guessPlaceholder'),
    });
    const room = h(
      'main',
      { class: 'room', id: 'room' },
      h(
        'header',
        { class: 'topbar' },
        h('h1', { class: 'brand' }, this.t('title')),
        h('span', { id: 'room-code-label', class: 'pill' }),
        h('button', { type: 'button', id: 'share-btn', onclick: () => void this.share() }, this.t('share')),
        h('span', { id: 'phase', class: 'phase', 'aria-live': 'polite' }),
        h('span', { id: 'timer', class: 'timer', role: 'timer', 'aria-label': this.t('timeLeft') }),
        h('button', { type: 'button', class: 'lang', onclick: () => this.toggleLang() }, this.t('language')),
        h('button', { type: 'button', id: 'leave-btn', onclick: () => void this.leave() }, this.t('leave')),
      ),
      h('section', { class: 'players', 'aria-label': this.t('players') }, h('ul', { id: 'players' })),
      h(
        'section',
        { class: 'stage' },
        h('div', { id: 'word', class: 'word', 'aria-live': 'polite' }),
        h(
          'div',
          { class: 'board-wrap', id: 'board-wrap' },
          h(
            'div',
            { class: 'board-frame' },
            canvas,
            h('div', { id: 'overlay', class: 'overlay', hidden: true }),
          ),
        ),
        h('div', {
          id: 'tools',
          class: 'tools',
          role: 'toolbar',
          'aria-label': this.t('tools'),
          hidden: true,
        }),
      ),
      h(
        'section',
        { class: 'chat', 'aria-label': this.t('chat') },
        chatLog,
        h(
          'form',
          {
            id: 'chat-form',
            class: 'row',
            onsubmit: (e: Event) => (e.preventDefault(), void this.sendChat()),
          },
          chatInput,
          h('button', { type: 'submit' }, this.t('send')),
        ),
      ),
    );
    mount(this.root, room, this.banner());
    this.els.room = room;
    this.board = new Board(canvas, room.querySelector<HTMLElement>('#board-wrap')!, {
      stroke: (s) => this.client.stroke(s),
      fill: (f) => this.client.fill(f),
      undo: () => this.client.undo(),
      clear: () => this.client.clear(),
    });
    this.renderTools();
    this.startTimer();
  }

  private renderTools(): void {
    const tools = document.getElementById('tools');
    const board = this.board;
    if (!tools || !board) return;
    const toolBtn = (tool: BoardTool, label: MessageKey, icon: string): HTMLElement =>
      h(
        'button',
        {
          type: 'button',
          class: 'tool',
          'data-tool': tool,
          'aria-pressed': board.tool === tool ? 'true' : 'false',
          'aria-label': this.t(label),
          title: this.t(label),
          onclick: () => {
            board.tool = tool;
            this.renderTools();
          },
        },
        h('span', { 'aria-hidden': 'true' }, icon),
        ` ${this.t(label)}`,
      );
    mount(
      tools,
      h(
        'div',
        { class: 'group' },
        toolBtn('pen', 'pen', '✎'),
        toolBtn('eraser', 'eraser', '▭'),
        toolBtn('fill', 'fill', '◉'),
      ),
      h(
        'div',
        { class: 'group palette', role: 'radiogroup', 'aria-label': this.t('color') },
        PALETTE.map((c) =>
          h('button', {
            type: 'button',
            class: 'swatch',
            role: 'radio',
            'aria-checked': board.color === c ? 'true' : 'false',
            'aria-label': `${this.t('color')} ${c}`,
            style: `background:${c}`,
            onclick: () => {
              board.color = c;
              if (board.tool === 'eraser') board.tool = 'pen';
              this.renderTools();
            },
          }),
        ),
      ),
      h(
        'div',
        { class: 'group sizes', role: 'radiogroup', 'aria-label': this.t('size') },
        SIZES.map((s) =>
          h(
            'button',
            {
              type: 'button',
              class: 'size',
              role: 'radio',
              'aria-checked': board.size === s ? 'true' : 'false',
              'aria-label': `${this.t('size')} ${s}`,
              onclick: () => {
                board.size = s;
                this.renderTools();
              },
            },
            h('span', { class: 'dot', style: `width:${Math.min(26, s)}px;height:${Math.min(26, s)}px` }),
          ),
        ),
      ),
      h(
        'div',
        { class: 'group' },
        h(
          'button',
          {
            type: 'button',
            id: 'undo-btn',
            'aria-label': this.t('undo'),
            title: this.t('undo'),
            onclick: () => void board.undo().catch((e: Error) => this.toast(e.message)),
          },
          `↶ ${this.t('undo')}`,
        ),
        h(
          'button',
          {
            type: 'button',
            id: 'clear-btn',
            'aria-label': this.t('clear'),
            title: this.t('clear'),
            onclick: () => void board.clear().catch(() => undefined),
          },
          this.t('clear'),
        ),
      ),
    );
  }

  private onState(s: RoomState): void {
    if (!this.els.room || !this.root.contains(this.els.room)) return;
    const me = this.client.playerId;
    const drawing = s.phase === 'drawing' && s.drawerId === me;
    if (s.phase === 'choosing' || s.phase === 'lobby') this.reveal = s.phase === 'lobby' ? null : this.reveal;
    if (s.phase !== 'choosing') this.choices = s.phase === 'drawing' ? [] : this.choices;
    if (s.phase === 'drawing' && s.drawerId === me && s.hint) this.myWord = s.hint;
    if (s.phase !== 'game-end' && s.phase !== 'lobby')
      this.ranking = s.phase === 'turn-end' ? this.ranking : null;
    if (this.board) {
      // A new turn starts from a blank board (a late joiner gets the picture through draw:sync).
      if (s.phase === 'choosing' && this.lastPhase !== 'choosing') this.board.reset();
      this.board.enabled = drawing;
      document.getElementById('tools')!.hidden = !drawing;
      this.board.canvas.classList.toggle('can-draw', drawing);
    }
    this.lastPhase = s.phase;
    setText('room-code-label', this.t('joinedAs', { code: s.code }));
    setText(
      'phase',
      `${this.t(`phase_${s.phase}` as MessageKey)}${s.phase !== 'lobby' ? ` · ${this.t('round')} ${Math.min(s.round, s.rounds)}/${s.rounds}` : ''}`,
    );
    this.renderPlayers(s);
    this.renderWord(s);
    this.renderOverlay();
    const input = document.getElementById('chat-input') as HTMLInputElement | null;
    if (input) {
      const guessing =
        s.phase === 'drawing' && s.drawerId !== me && !s.players.find((p) => p.id === me)?.guessed;
      input.placeholder = this.t(guessing ? 'guessPlaceholder' : 'chatPlaceholder');
    }
  }

  private renderPlayers(s: RoomState): void {
    const ul = document.getElementById('players');
    if (!ul) return;
    const me = this.client.playerId;
    const sorted = [...s.players].sort((a, b) => b.score - a.score);
    mount(
      ul,
      sorted.map((p: PlayerView) =>
        h(
          'li',
          {
            class: [
              'player',
              p.id === s.drawerId ? 'is-drawer' : '',
              p.guessed ? 'has-guessed' : '',
              p.connected ? '' : 'is-offline',
            ]
              .filter(Boolean)
              .join(' '),
            'data-player-id': p.id,
          },
          h('span', { class: 'name' }, p.nickname),
          p.id === me ? h('span', { class: 'tag' }, this.t('you')) : null,
          p.id === s.hostId
            ? h('span', { class: 'tag host', title: this.t('host'), 'aria-label': this.t('host') }, '★')
            : null,
          p.id === s.drawerId && s.phase !== 'lobby'
            ? h('span', { class: 'tag', title: this.t('drawer'), 'aria-label': this.t('drawer') }, '✎')
            : null,
          p.guessed ? h('span', { class: 'tag' }, '✔') : null,
          !p.connected ? h('span', { class: 'tag muted' }, this.t('offline')) : null,
          h(
            'span',
            { class: 'score', 'aria-label': this.t('score'), 'data-score': p.score },
            String(p.score),
          ),
          p.id !== me && s.players.length > 2
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'kick',
                  'aria-label': this.t('kick', { name: p.nickname }),
                  title: this.t('kick', { name: p.nickname }),
                  onclick: () => void this.client.voteKick(p.id).catch((e: Error) => this.toast(e.message)),
                },
                '✕',
              )
            : null,
        ),
      ),
    );
  }

  private renderWord(s: RoomState): void {
    const el = document.getElementById('word');
    if (!el) return;
    const me = this.client.playerId;
    if (s.phase === 'drawing' && s.drawerId === me) {
      mount(
        el,
        h('span', { class: 'muted' }, this.t('youDraw')),
        ' ',
        h('strong', { id: 'my-word' }, this.myWord ?? s.hint ?? ''),
      );
    } else if (s.phase === 'drawing' && s.hint) {
      mount(
        el,
        h('span', { class: 'muted' }, this.t('isDrawing', { name: this.nameOf(s.drawerId ?? '') })),
        ' ',
        h(
          'strong',
          { id: 'hint', class: 'hint', 'aria-label': s.hint.replace(/_/g, '?') },
          s.hint.split('').join(' '),
        ),
      );
    } else if (s.phase === 'choosing') {
      mount(el, this.t('isChoosing', { name: this.nameOf(s.drawerId ?? '') }));
    } else {
      mount(el);
    }
  }

  private renderOverlay(): void {
    const ov = document.getElementById('overlay');
    const s = this.client.state;
    if (!ov || !s) return;
    const me = this.client.playerId;
    let content: HTMLElement | null = null;
    if (this.ranking && (s.phase === 'game-end' || s.phase === 'turn-end' || s.phase === 'lobby')) {
      const medals = ['1', '2', '3'];
      content = h(
        'div',
        { class: 'panel podium', id: 'podium', role: 'dialog', 'aria-label': this.t('podium') },
        h('h2', {}, this.t('podium')),
        h(
          'ol',
          {},
          this.ranking.map((r, i) =>
            h(
              'li',
              { class: `place-${i + 1}` },
              h('span', { class: 'medal' }, medals[i] ?? `${i + 1}`),
              ` ${r.nickname} `,
              h('strong', {}, String(r.score)),
            ),
          ),
        ),
        h(
          'div',
          { class: 'row' },
          s.hostId === me && s.phase !== 'turn-end'
            ? h(
                'button',
                {
                  type: 'button',
                  class: 'primary',
                  id: 'restart-btn',
                  onclick: () => void this.client.start().catch((e: Error) => this.toast(e.message)),
                },
                this.t('start'),
              )
            : null,
          h(
            'button',
            {
              type: 'button',
              onclick: () => {
                this.ranking = null;
                this.renderOverlay();
              },
            },
            this.t('playAgain'),
          ),
        ),
      );
    } else if (s.phase === 'turn-end' && this.reveal) {
      const r = this.reveal;
      content = h(
        'div',
        { class: 'panel reveal', id: 'reveal', role: 'dialog', 'aria-label': this.t('theWordWas') },
        h('p', {}, this.t('theWordWas')),
        h('h2', { id: 'revealed-word' }, r.word),
        h('h3', {}, this.t('pointsGained')),
        h(
          'ul',
          {},
          s.players.map((p) => h('li', {}, `${p.nickname} `, h('strong', {}, `+${r.gained[p.id] ?? 0}`))),
        ),
      );
    } else if (s.phase === 'choosing' && s.drawerId === me && this.choices.length) {
      content = h(
        'div',
        { class: 'panel', id: 'word-choices', role: 'dialog', 'aria-label': this.t('chooseWord') },
        h('h2', {}, this.t('chooseWord')),
        h(
          'div',
          { class: 'choices' },
          this.choices.map((w, i) =>
            h(
              'button',
              {
                type: 'button',
                class: 'primary',
                onclick: async () => {
                  try {
                    const res = await this.client.chooseWord(i);
                    this.myWord = res.word;
                    this.choices = [];
                    this.renderOverlay();
                  } catch (e) {
                    this.toast((e as Error).message);
                  }
                },
              },
              w,
            ),
          ),
        ),
      );
    } else if (s.phase === 'choosing') {
      content = h(
        'div',
        { class: 'panel' },
        h('p', {}, this.t('isChoosing', { name: this.nameOf(s.drawerId ?? '') })),
      );
    } else if (s.phase === 'lobby') {
      const isHost = s.hostId === me;
      const enough = s.players.filter((p) => p.connected).length >= 2;
      content = h(
        'div',
        { class: 'panel', id: 'lobby-panel' },
        h('h2', {}, this.t('joinedAs', { code: s.code })),
        h('button', { type: 'button', onclick: () => void this.share() }, this.t('share')),
        isHost
          ? h(
              'button',
              {
                type: 'button',
                class: 'primary',
                id: 'start-btn',
                disabled: !enough,
                onclick: () => void this.client.start().catch((e: Error) => this.toast(e.message)),
              },
              this.t('start'),
            )
          : h('p', {}, this.t('waitingHost')),
        !enough ? h('p', { class: 'muted' }, this.t('needPlayers')) : null,
      );
    }
    if (content) mount(ov, content);
    else mount(ov);
    ov.hidden = !content;
    const focus = ov.querySelector<HTMLElement>('button.primary');
    if (focus && !ov.contains(document.activeElement)) focus.focus({ preventScroll: true });
  }

  private async sendChat(): Promise<void> {
    const input = document.getElementById('chat-input') as HTMLInputElement | null;
    if (!input) return;
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    try {
      const res = await this.client.chat(text);
      if (res.correct) this.addChat('', this.t('correct'), 'correct mine');
      else if (res.close) this.addChat('', this.t('close', { text }), 'close');
    } catch (e) {
      this.addChat('', (e as GameError).message, 'error');
    }
  }

  private addChat(name: string, text: string, cls: string): void {
    const log = document.getElementById('chat-log');
    if (!log) return;
    log.appendChild(
      h(
        'li',
        { class: `msg ${cls}` },
        name ? h('span', { class: 'who' }, `${name}: `) : null,
        h('span', { class: 'text' }, text),
      ),
    );
    while (log.children.length > 200) log.firstElementChild?.remove();
    log.scrollTop = log.scrollHeight;
  }

  private async share(): Promise<void> {
    const code = this.client.seat?.code;
    if (!code) return;
    const url = new URL(location.href);
    url.search = `?room=${encodeURIComponent(code)}`;
    try {
      if (navigator.share) await navigator.share({ title: this.t('title'), url: url.href });
      else await navigator.clipboard.writeText(url.href);
      this.toast(this.t('copied'));
    } catch {
      this.toast(url.href);
    }
  }

  private async leave(): Promise<void> {
    await this.client.leave().catch(() => undefined);
    history.replaceState(null, '', location.pathname);
    this.renderLobby();
  }

  private toggleLang(): void {
    this.lang = this.lang === 'en' ? 'ko' : 'en';
    safeSet('drawguess.lang', this.lang);
    document.documentElement.lang = this.lang;
    if (this.els.room && this.root.contains(this.els.room)) {
      // Rebuild the room view in the new language; the drawing is kept in the model.
      const ops = this.board?.drawing.operations ?? [];
      const log = document.getElementById('chat-log');
      const messages = log ? [...log.children] : [];
      this.renderRoomShell();
      this.board?.sync(ops);
      document.getElementById('chat-log')?.append(...messages);
      const s = this.client.state;
      if (s) this.onState(s);
    } else {
      this.renderLobby();
    }
  }

  // ---------- shared bits ----------

  private header(): HTMLElement {
    return h(
      'header',
      { class: 'topbar' },
      h('h1', { class: 'brand' }, this.t('title')),
      h('button', { type: 'button', class: 'lang', onclick: () => this.toggleLang() }, this.t('language')),
    );
  }

  private banner(): HTMLElement {
    const b = h(
      'div',
      { id: 'banner', class: 'banner', role: 'status', hidden: true },
      this.t('reconnecting'),
    );
    this.els.banner = b;
    return b;
  }

  /** The connection banner: reconnecting, or this seat taken by another tab (with a way back). */
  private renderBanner(reconnecting: boolean, replaced = false): void {
    const b = document.getElementById('banner');
    if (!b) return;
    b.hidden = !reconnecting && !replaced;
    b.replaceChildren(
      ...(replaced
        ? [
            this.t('replaced'),
            ' ',
            h(
              'button',
              { type: 'button', id: 'take-back', onclick: () => this.client.takeBack() },
              this.t('playHere'),
            ),
          ]
        : [this.t('reconnecting')]),
    );
  }

  private toast(text: string): void {
    const t = h('div', { class: 'toast', role: 'status' }, text);
    document.body.appendChild(t);
    setTimeout(() => t.remove(), 3000);
  }

  private nameOf(id: string): string {
    return this.client.state?.players.find((p) => p.id === id)?.nickname ?? '?';
  }

  private startTimer(): void {
    this.stopTimer();
    this.timer = setInterval(() => {
      const s = this.client.state;
      const el = document.getElementById('timer');
      if (!el) return;
      if (!s?.endsAt || (s.phase !== 'drawing' && s.phase !== 'choosing')) {
        el.textContent = '';
        return;
      }
      const left = Math.max(0, Math.ceil((s.endsAt - Date.now()) / 1000));
      el.textContent = `${left}s`;
      el.classList.toggle('urgent', left <= 10);
    }, 250);
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}

function setText(id: string, text: string): void {
  const el = document.getElementById(id);
  if (el) el.textContent = text;
}
function safeGet(key: string): string | null {
  try {
    return localStorage.getItem(key);
  } catch {
    return null;
  }
}
function safeSet(key: string, value: string): void {
  try {
    localStorage.setItem(key, value);
  } catch {
    // ignore
  }
}
