/*
 * Chat widget of the Welbevinden-assistent (Rasa 3.6, SocketIO channel).
 *
 * Plain ES2017, no build step. It needs three vendored libraries, served next to this
 * file from /static/vendor/: socket.io-client (window.io), DOMPurify and marked. A page
 * that does not load them itself (an intranet page with only the embed snippet) gets
 * them from the same origin as this script.
 *
 * Mounting: into #welbevinden-chat when the page has it (the stand-alone /chat page),
 * otherwise into a floating panel with an open/close button that this script creates.
 * Settings come from data-* attributes on the container, else on this <script> element:
 *   data-rasa-url   Rasa server (default http://localhost:5005); socket.io path /socket.io
 *   data-team-code  team code, sent as metadata (customData.team_code) with every message
 *   data-start      "checkin" or "scan": open the check-in or the fundament-scan, once per tab
 *   data-scan-token (container only; the dashboard's scan page) sent as customData.scan_token
 *   data-member-token (container only; the page behind a personal link /c/<token>) sent as
 *                   customData.member_token with every message and kept in this browser's
 *                   localStorage, so /chat keeps knowing the member; "Vergeet mij" removes it.
 *                   Rasa's channel replaces it by its SHA-256 before anything is stored.
 *
 * The fundament-scan belongs to the school, not to the coordinator doing it: it runs in
 * its own conversation, with a session id kept per tab (sessionStorage), apart from the
 * person's own chats and check-ins. The scan token is never stored.
 *
 * Safety: what people type is only ever set as textContent. Bot text is markdown,
 * rendered by marked and then cleaned by DOMPurify with a small allow-list.
 */
(function () {
  'use strict';

  const SCRIPT = document.currentScript;
  if (window.WelbevindenChat) {
    return; // included twice (page template + CMS block): one widget is enough
  }
  window.WelbevindenChat = true; // claimed; replaced by the widget once it is built

  const DEFAULT_RASA_URL = 'http://localhost:5005';
  // Where the session id and the shown conversation are kept: per browser, or per tab (scan).
  const STORAGE = {
    person: { store: 'localStorage', session: 'welbevinden.session', conversation: 'welbevinden.conversation' },
    scan: { store: 'sessionStorage', session: 'welbevinden.scan.session', conversation: 'welbevinden.scan.conversation' },
  };
  // data-start: the intent that opens the conversation, and the (per tab) flag that it did.
  const STARTS = {
    checkin: { payload: '/checkin_start', key: 'welbevinden.started' },
    scan: { payload: '/fundament_scan_start', key: 'welbevinden.scan.started' },
  };
  const MEMBER_KEY = 'welbevinden.member';
  const REPLY_TIMEOUT_MS = 10000;
  const MAX_INPUT_CHARS = 2000;
  const MAX_STORED_MESSAGES = 200;

  // The widget's own words, in the language of the bot's latest answer (each bot message
  // says its language: `lang`, "nl" or "en"). Dutch until the bot has answered in English.
  const TEXTS = {
    nl: {
      title: 'Welbevinden-assistent',
      close: 'Sluiten',
      log: 'Gesprek met de Welbevinden-assistent',
      label: 'Je bericht',
      placeholder: 'Typ je bericht…',
      send: 'Verstuur',
      typing: 'De assistent typt…',
      bot: 'Assistent: ',
      user: 'Jij: ',
      choices: 'Antwoordmogelijkheden',
      newWindow: ' (opent in een nieuw venster)',
      empty: 'Typ eerst een bericht, of kies een van de knoppen.',
      unavailable: 'De assistent is nu niet bereikbaar. Probeer het later opnieuw.',
      forget: 'Vergeet mij op deze computer',
      forgetConfirm: 'Zeker weten? Klik nogmaals om te vergeten',
      forgotten: 'Je bent vergeten op deze computer. Wie hierna chat, ziet jouw gesprek en check-ins niet.',
    },
    en: {
      title: 'Welbevinden-assistent',
      close: 'Close',
      log: 'Conversation with the Welbevinden assistant',
      label: 'Your message',
      placeholder: 'Type your message…',
      send: 'Send',
      typing: 'The assistant is typing…',
      bot: 'Assistant: ',
      user: 'You: ',
      choices: 'Answer options',
      newWindow: ' (opens in a new window)',
      empty: 'Type a message first, or choose one of the buttons.',
      unavailable: 'The assistant cannot be reached right now. Please try again later.',
      forget: 'Forget me on this computer',
      forgetConfirm: 'Are you sure? Click again to forget',
      forgotten: 'You have been forgotten on this computer. Whoever chats next will not see your conversation or check-ins.',
    },
  };
  const TEXT = TEXTS.nl; // before a widget exists (start-up, failure notice)

  // Bot markdown may only produce these elements and this one attribute.
  const PURIFY_CONFIG = {
    ALLOWED_TAGS: ['p', 'strong', 'em', 'ul', 'ol', 'li', 'a', 'br', 'code'],
    ALLOWED_ATTR: ['href'],
    ALLOWED_URI_REGEXP: /^(?:https?:|mailto:|tel:)/i,
    RETURN_DOM_FRAGMENT: true,
  };

  /* ------------------------------------------------------------------ helpers */

  // Where this script came from: the vendor files and the stylesheet live next to it.
  const BASE_URL = (() => {
    try {
      return new URL('.', SCRIPT && SCRIPT.src ? SCRIPT.src : window.location.href).href;
    } catch (e) {
      return '/static/';
    }
  })();

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function srOnly(text) {
    return el('span', 'wb-sr-only', text);
  }

  // A random session id. crypto.randomUUID exists only on https:// and localhost, so an
  // intranet on plain http gets the same kind of random v4 UUID from getRandomValues.
  function randomId() {
    const c = window.crypto;
    if (typeof c.randomUUID === 'function') return c.randomUUID();
    const b = c.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40; // version 4
    b[8] = (b[8] & 0x3f) | 0x80; // variant 10xx
    const hex = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  // Storage can be blocked by privacy settings; the widget then forgets on reload.
  function storageGet(store, key) {
    try {
      return window[store].getItem(key);
    } catch (e) {
      return null;
    }
  }

  function storageSet(store, key, value) {
    try {
      window[store].setItem(key, value);
    } catch (e) {
      /* full or blocked: not worth bothering the user */
    }
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement('script');
      script.src = src;
      script.async = false;
      script.addEventListener('load', resolve);
      script.addEventListener('error', () => reject(new Error(`Could not load ${src}`)));
      document.head.appendChild(script);
    });
  }

  function loadVendorScripts() {
    const needed = [];
    if (typeof window.io !== 'function') needed.push('vendor/socket.io.min.js');
    if (!window.DOMPurify) needed.push('vendor/purify.min.js');
    if (!window.marked) needed.push('vendor/marked.umd.js');
    return Promise.all(needed.map((file) => loadScript(BASE_URL + file)));
  }

  function ensureStylesheet() {
    const href = BASE_URL + 'widget.css';
    const links = Array.from(document.querySelectorAll('link[rel="stylesheet"]'));
    if (links.some((link) => link.href === href)) return;
    const link = document.createElement('link');
    link.rel = 'stylesheet';
    link.href = href;
    document.head.appendChild(link);
  }

  const ESCAPES = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

  function escapeHtml(text) {
    return String(text).replace(/[&<>"']/g, (c) => ESCAPES[c]);
  }

  let markdown = null;

  // Our own marked instance (the host page may use marked with other settings). HTML in
  // bot text is shown as text, never parsed, and images become their alt text.
  function markdownParser() {
    if (!markdown) {
      markdown = new window.marked.Marked({ gfm: true, breaks: true, async: false });
      markdown.use({
        renderer: {
          html: ({ text }) => escapeHtml(text),
          image: ({ text }) => escapeHtml(text),
        },
      });
    }
    return markdown;
  }

  // Bot text -> safe DOM nodes: markdown, then DOMPurify with the allow-list as a second
  // line of defence.
  function renderMarkdown(text, words) {
    const fragment = window.DOMPurify.sanitize(markdownParser().parse(text), PURIFY_CONFIG);
    fragment.querySelectorAll('a').forEach((link) => {
      if (!link.getAttribute('href')) {
        // DOMPurify dropped an unsafe href (javascript: and the like): keep the words only.
        link.replaceWith(document.createTextNode(link.textContent));
        return;
      }
      link.setAttribute('target', '_blank');
      link.setAttribute('rel', 'noopener noreferrer');
      link.appendChild(srOnly(words.newWindow));
    });
    return fragment;
  }

  // Rasa's socketio channel sends buttons as quick_replies; other outputs as buttons.
  function normaliseButtons(list) {
    if (!Array.isArray(list)) return [];
    return list
      .filter((b) => b && typeof b.title === 'string' && typeof b.payload === 'string')
      .map((b) => ({ title: b.title, payload: b.payload }));
  }

  /* ------------------------------------------------------------------ widget */

  class ChatWidget {
    constructor(container, config) {
      this.container = container;
      this.config = config;
      this.messages = []; // {from: 'bot'|'user', text, buttons, used, chosen, node}
      this.pending = []; // sent before Rasa confirmed the session
      this.socket = null;
      this.confirmed = false;
      this.greeted = false;
      this.replyTimer = null;
      this.typing = null;
      this.unavailableShown = false;
      this.lang = 'nl';
      this.text = TEXTS.nl;
      this.start = STARTS[config.start] || null;
      this.keys = config.start === 'scan' ? STORAGE.scan : STORAGE.person;
      if (config.memberToken && config.start !== 'scan') storageSet('localStorage', MEMBER_KEY, config.memberToken);
      this.memberToken = config.start === 'scan' ? '' : config.memberToken || storageGet('localStorage', MEMBER_KEY) || '';
      this.sessionId = storageGet(this.keys.store, this.keys.session);
      if (!this.sessionId) {
        this.sessionId = randomId();
        storageSet(this.keys.store, this.keys.session, this.sessionId);
      }
      this.build();
      this.restore();
    }

    build() {
      const uid = `wb-${Math.random().toString(36).slice(2, 8)}`;
      const floating = this.config.floating;
      this.container.classList.add('wb-root');

      if (floating) {
        this.launcher = el('button', 'wb-launcher', TEXT.title);
        this.launcher.type = 'button';
        this.launcher.setAttribute('aria-expanded', 'false');
        this.launcher.setAttribute('aria-controls', `${uid}-panel`);
        this.launcher.addEventListener('click', () => this.toggle());
        this.container.appendChild(this.launcher);
      }

      const panel = el('div', floating ? 'wb-chat wb-chat--floating' : 'wb-chat');
      panel.id = `${uid}-panel`;
      this.panel = panel;

      if (floating) {
        panel.hidden = true;
        const header = el('div', 'wb-header');
        header.appendChild(el('h2', 'wb-title', TEXT.title));
        const close = el('button', 'wb-close');
        close.type = 'button';
        close.setAttribute('aria-label', TEXT.close);
        this.closeButton = close;
        const cross = el('span', '', '×');
        cross.setAttribute('aria-hidden', 'true');
        close.appendChild(cross);
        close.addEventListener('click', () => this.toggle(false));
        header.appendChild(close);
        panel.appendChild(header);
        panel.addEventListener('keydown', (event) => {
          if (event.key === 'Escape') this.toggle(false);
        });
      }

      // The conversation is a polite live region: screen readers read new messages.
      this.log = el('div', 'wb-log');
      this.log.setAttribute('role', 'log');
      this.log.setAttribute('aria-live', 'polite');
      this.log.setAttribute('aria-label', TEXT.log);
      this.log.tabIndex = 0; // it scrolls, so keyboard users must be able to reach it
      panel.appendChild(this.log);

      this.status = el('p', 'wb-status');
      this.status.setAttribute('role', 'status');
      panel.appendChild(this.status);

      const form = el('form', 'wb-form');
      form.noValidate = true;
      const label = el('label', 'wb-sr-only', TEXT.label);
      this.label = label;
      label.htmlFor = `${uid}-input`;
      this.input = el('input', 'wb-input');
      Object.assign(this.input, {
        type: 'text',
        id: `${uid}-input`,
        name: 'message',
        maxLength: MAX_INPUT_CHARS,
        autocomplete: 'off',
        placeholder: TEXT.placeholder,
      });
      this.input.setAttribute('aria-describedby', `${uid}-hint`);
      this.input.addEventListener('input', () => {
        this.hint.textContent = '';
      });
      const send = el('button', 'wb-send', TEXT.send);
      this.sendButton = send;
      send.type = 'submit';
      this.hint = el('p', 'wb-hint');
      this.hint.id = `${uid}-hint`;
      this.hint.setAttribute('aria-live', 'polite');
      form.append(label, this.input, send, this.hint);
      form.addEventListener('submit', (event) => {
        event.preventDefault(); // Enter in the input lands here too
        this.submitTyped();
      });
      panel.appendChild(form);

      // Shared school computers: the session id is what links a person to their own
      // check-ins, so the next user of this browser must be able to start fresh.
      this.forgetButton = el('button', 'wb-forget', TEXT.forget);
      this.forgetButton.type = 'button';
      this.forgetButton.addEventListener('click', () => this.forget());
      panel.appendChild(this.forgetButton);

      this.container.appendChild(panel);
    }

    // The widget's own words follow the language of the bot's answers.
    setLanguage(lang) {
      if (!TEXTS[lang] || lang === this.lang) return;
      this.lang = lang;
      this.text = TEXTS[lang];
      this.panel.lang = lang;
      this.log.setAttribute('aria-label', this.text.log);
      this.label.textContent = this.text.label;
      this.input.placeholder = this.text.placeholder;
      this.sendButton.textContent = this.text.send;
      if (this.closeButton) this.closeButton.setAttribute('aria-label', this.text.close);
      this.forgetButton.textContent = this.forgetArmed ? this.text.forgetConfirm : this.text.forget;
    }

    // Floating mode only. Connects on first open, not on page load, so intranet page
    // views do not each start a conversation on the Rasa server.
    toggle(open) {
      const show = open === undefined ? this.panel.hidden : open;
      this.panel.hidden = !show;
      this.launcher.setAttribute('aria-expanded', String(show));
      this.container.classList.toggle('wb-root--open', show);
      if (show) {
        this.connect();
        this.input.focus();
        this.scrollToEnd();
      } else {
        this.launcher.focus();
      }
    }

    // First click asks for confirmation (no browser dialog), the second one forgets: a
    // new random session id, the shown conversation cleared, and a fresh start.
    forget() {
      if (!this.forgetArmed) {
        this.forgetArmed = true;
        this.forgetButton.textContent = this.text.forgetConfirm;
        return;
      }
      this.forgetArmed = false;
      this.forgetButton.textContent = this.text.forget;
      this.sessionId = randomId();
      storageSet(this.keys.store, this.keys.session, this.sessionId);
      try {
        window.localStorage.removeItem(MEMBER_KEY); // the personal link works again from the mail
      } catch (e) {
        /* blocked storage: nothing was kept */
      }
      this.memberToken = '';
      if (this.start) storageSet('sessionStorage', this.start.key, '1'); // a start link must not restart now
      this.messages = [];
      this.log.textContent = '';
      this.save();
      this.greeted = false;
      if (this.socket) {
        this.socket.disconnect();
        this.socket = null;
      }
      this.hint.textContent = this.text.forgotten;
      this.connect();
    }

    /* ----- connection */

    connect() {
      if (this.socket) return;
      if (typeof window.io !== 'function') {
        this.showUnavailable();
        return;
      }
      this.socket = window.io(this.config.rasaUrl, { path: '/socket.io', reconnectionDelayMax: 10000, timeout: 8000 });
      // Every (re)connect is a new socket: ask Rasa to put it in our session's room again.
      this.socket.on('connect', () => {
        this.confirmed = false;
        this.socket.emit('session_request', { session_id: this.sessionId });
      });
      this.socket.on('session_confirm', () => {
        this.confirmed = true;
        this.clearUnavailable();
        if (this.start && !storageGet('sessionStorage', this.start.key)) {
          // A check-in link (/chat?team=CODE&start=checkin) or the dashboard's scan page
          // opens the check-in or the scan, once per tab.
          storageSet('sessionStorage', this.start.key, '1');
          this.greeted = true;
          this.emit(this.start.payload);
        } else if (this.messages.length === 0 && !this.greeted) {
          // A new conversation opens with the bot's own greeting and its buttons.
          this.greeted = true;
          this.emit('/greet');
        }
        const queued = this.pending;
        this.pending = [];
        queued.forEach((text) => this.emit(text));
      });
      this.socket.on('bot_uttered', (message) => this.receive(message || {}));
      this.socket.on('connect_error', () => this.showUnavailable());
      this.socket.on('disconnect', (reason) => {
        this.confirmed = false;
        if (reason !== 'io client disconnect' && this.replyTimer) this.showUnavailable();
      });
    }

    // Send to Rasa, with the team code (and scan token) as metadata on every message.
    emit(text) {
      this.startWaiting();
      if (!this.socket || !this.confirmed) {
        // socket.io would buffer it, but send it before session_request: then the
        // answer goes to a room this socket has not joined yet. So we queue ourselves.
        this.pending.push(text);
        return;
      }
      const customData = {};
      if (this.config.teamCode) customData.team_code = this.config.teamCode;
      if (this.config.scanToken) customData.scan_token = this.config.scanToken;
      if (this.memberToken) customData.member_token = this.memberToken;
      this.socket.emit('user_uttered', { message: text, session_id: this.sessionId, customData });
    }

    // Typing dots, and the 10-second limit for the bot's first answer.
    startWaiting() {
      this.showTyping(true);
      clearTimeout(this.replyTimer);
      this.replyTimer = setTimeout(() => {
        this.replyTimer = null;
        this.showTyping(false);
        this.showUnavailable();
      }, REPLY_TIMEOUT_MS);
    }

    stopWaiting() {
      clearTimeout(this.replyTimer);
      this.replyTimer = null;
      this.showTyping(false);
    }

    showTyping(on) {
      if (on && !this.typing) {
        // Created anew each time, so the live region announces it.
        this.typing = el('div', 'wb-typing');
        const dots = el('span', 'wb-dots');
        dots.setAttribute('aria-hidden', 'true');
        dots.append(el('span'), el('span'), el('span'));
        this.typing.append(dots, srOnly(this.text.typing));
        this.log.appendChild(this.typing);
        this.scrollToEnd();
      } else if (!on && this.typing) {
        this.typing.remove();
        this.typing = null;
      }
    }

    showUnavailable() {
      if (this.unavailableShown) return; // not again on every socket.io retry
      this.unavailableShown = true;
      this.showTyping(false);
      this.status.textContent = this.text.unavailable;
      this.status.classList.add('wb-status--visible');
    }

    clearUnavailable() {
      if (!this.unavailableShown) return;
      this.unavailableShown = false;
      this.status.textContent = '';
      this.status.classList.remove('wb-status--visible');
    }

    /* ----- messages */

    submitTyped() {
      const text = this.input.value.trim().slice(0, MAX_INPUT_CHARS);
      if (!text) {
        this.hint.textContent = this.text.empty;
        this.input.focus();
        return;
      }
      this.hint.textContent = '';
      this.input.value = '';
      this.send(text, text);
    }

    // Show `shown` as the user's message; send `payload` to Rasa.
    send(payload, shown) {
      this.connect();
      this.disableChoices();
      this.add({ from: 'user', text: shown });
      this.emit(payload);
    }

    receive(message) {
      const text = typeof message.text === 'string' ? message.text : '';
      const buttons = normaliseButtons(message.quick_replies || message.buttons);
      if (!text.trim() && buttons.length === 0) return; // images, custom JSON: not used by this bot
      const lang = TEXTS[message.lang] ? message.lang : undefined; // an action's own text has none
      this.stopWaiting();
      this.clearUnavailable();
      if (lang) this.setLanguage(lang);
      this.add({ from: 'bot', text, buttons, lang });
    }

    add(message) {
      this.messages.push(message);
      if (this.messages.length > MAX_STORED_MESSAGES) this.messages.shift();
      this.render(message);
      this.save();
    }

    render(message) {
      const item = el('div', `wb-msg wb-msg--${message.from}`);
      // Knowledge answers end with their source ("Bron: ...", "Source: ..."): smaller and muted.
      if (message.from === 'bot' && /^(Bron|Source):/.test(message.text)) item.classList.add('wb-msg--source');
      const words = TEXTS[message.lang] || this.text;
      if (message.lang) item.lang = message.lang;
      item.appendChild(srOnly(message.from === 'bot' ? words.bot : words.user));
      const body = el('div', 'wb-msg-body');
      if (message.from === 'bot') {
        body.appendChild(renderMarkdown(message.text, words));
      } else {
        body.textContent = message.text; // never innerHTML for what people type
      }
      item.appendChild(body);
      message.node = item;

      if (message.buttons && message.buttons.length) {
        const group = el('div', 'wb-choices');
        group.setAttribute('role', 'group');
        group.setAttribute('aria-label', words.choices);
        message.buttons.forEach((choice) => {
          const button = el('button', 'wb-choice', choice.title); // titles are text, too
          button.type = 'button';
          button.disabled = Boolean(message.used);
          if (message.chosen === choice.title) button.classList.add('wb-choice--chosen');
          button.addEventListener('click', () => {
            if (message.used) return;
            message.chosen = choice.title;
            button.classList.add('wb-choice--chosen');
            this.send(choice.payload, choice.title);
            this.input.focus(); // the clicked button is disabled now: keep focus in the widget
          });
          group.appendChild(button);
        });
        item.appendChild(group);
      }

      // The typing dots stay below the newest message.
      this.log.insertBefore(item, this.typing);
      this.scrollToEnd();
    }

    // Once the person answers (with a button or typed), older buttons no longer apply.
    disableChoices() {
      this.messages.forEach((message) => {
        if (!message.buttons || !message.buttons.length || message.used) return;
        message.used = true;
        message.node.querySelectorAll('button').forEach((b) => {
          b.disabled = true;
        });
      });
    }

    scrollToEnd() {
      this.log.scrollTop = this.log.scrollHeight;
    }

    /* ----- persistence: Rasa keeps the tracker, the widget keeps what it showed */

    // sessionStorage: a reload shows the conversation again; closing the browser clears
    // it (school computers are often shared). The session id stays in localStorage.
    save() {
      const messages = this.messages.map((m) => ({
        from: m.from,
        text: m.text,
        lang: m.lang,
        buttons: m.buttons,
        used: m.used,
        chosen: m.chosen,
      }));
      storageSet('sessionStorage', this.keys.conversation, JSON.stringify({ session: this.sessionId, messages }));
    }

    restore() {
      let data = null;
      try {
        data = JSON.parse(storageGet('sessionStorage', this.keys.conversation) || 'null');
      } catch (e) {
        return;
      }
      if (!data || data.session !== this.sessionId || !Array.isArray(data.messages)) return;
      data.messages.forEach((m) => {
        if (!m || (m.from !== 'bot' && m.from !== 'user') || typeof m.text !== 'string') return;
        const message = {
          from: m.from,
          text: m.text,
          lang: TEXTS[m.lang] ? m.lang : undefined,
          buttons: normaliseButtons(m.buttons),
          used: Boolean(m.used),
          chosen: typeof m.chosen === 'string' ? m.chosen : undefined,
        };
        if (message.lang) this.setLanguage(message.lang);
        this.messages.push(message);
        this.render(message);
      });
    }
  }

  /* ------------------------------------------------------------------ start */

  function readConfig(container, floating) {
    const setting = (name) =>
      (container.getAttribute(`data-${name}`) || (SCRIPT && SCRIPT.getAttribute(`data-${name}`)) || '').trim();
    return {
      rasaUrl: setting('rasa-url') || DEFAULT_RASA_URL,
      teamCode: setting('team-code'),
      start: setting('start'),
      scanToken: (container.getAttribute('data-scan-token') || '').trim(),
      memberToken: (container.getAttribute('data-member-token') || '').trim(),
      floating,
    };
  }

  function start() {
    let container = document.getElementById('welbevinden-chat');
    const floating = !container;
    if (floating) {
      container = document.createElement('aside');
      container.id = 'welbevinden-chat';
      container.setAttribute('aria-label', TEXT.title);
      document.body.appendChild(container);
    }
    const config = readConfig(container, floating);
    ensureStylesheet();
    // Build once the libraries are there, so restored bot messages render as markdown.
    loadVendorScripts().then(
      () => {
        window.WelbevindenChat = new ChatWidget(container, config);
        if (!floating) window.WelbevindenChat.connect();
      },
      () => {
        // Without DOMPurify and marked nothing from the bot can be shown safely.
        const notice = el('p', 'wb-status wb-status--visible', TEXT.unavailable);
        notice.setAttribute('role', 'status');
        container.appendChild(notice);
      },
    );
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();
