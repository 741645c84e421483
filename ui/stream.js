// The live event stream: a WebSocket to /api/stream that resumes from the
// last seq it saw after any disconnect, with backoff.
export class EventStream {
  constructor({ onEvent, onState, onUnauthenticated }) {
    this.onEvent = onEvent;
    this.onState = onState;
    this.onUnauthenticated = onUnauthenticated;
    this.lastSeq = 0;
    this.ws = null;
    this.stopped = true;
    this.delay = 500;
    this.timer = null;
  }

  start(since) {
    this.lastSeq = since;
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.ws) this.ws.close(1000);
    this.ws = null;
    this.onState('disconnected');
  }

  connect() {
    const proto = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const url = `${proto}//${location.host}/api/stream?since=${this.lastSeq}`;
    this.onState(this.ws === null && this.delay === 500 ? 'connecting' : 'reconnecting');
    let ws;
    try {
      ws = new WebSocket(url, 'aeogate-stream');
    } catch {
      this.retry();
      return;
    }
    this.ws = ws;
    ws.onmessage = (m) => {
      let msg;
      try {
        msg = JSON.parse(m.data);
      } catch {
        return;
      }
      if (msg.following) {
        this.delay = 500;
        this.onState('connected');
      } else if (msg.event) {
        // The controller guarantees order without gaps; guard against replays.
        if (msg.event.seq <= this.lastSeq) return;
        this.lastSeq = msg.event.seq;
        // The name rides beside the event (it is not part of what was hashed).
        if (msg.person_name) msg.event.person_name = msg.person_name;
        if (msg.person_has_photo) msg.event.person_has_photo = true;
        this.onEvent(msg.event);
      }
    };
    ws.onclose = (c) => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.stopped) return;
      if (c.code === 4401) {
        this.stopped = true;
        this.onState('disconnected');
        this.onUnauthenticated();
        return;
      }
      this.retry();
    };
  }

  retry() {
    this.onState('reconnecting');
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, 8000);
  }
}
