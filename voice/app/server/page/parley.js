// Parley's page: microphone to the server, reply audio to the speaker, the conversation as text.
// The protocol is docs/protocol.md (version 1).

const PROTOCOL_VERSION = 1;
const CAPTURE_RATE = 16000; // what the pipeline wants; the browser resamples the microphone to it
const JITTER_SECONDS = 0.06; // reply audio starts this far ahead, so a late frame does not click
const REPORT_EVERY_MS = 100; // how often the server hears how much reply audio has played
const MS_PER_PIXEL = 4; // the latency bar's scale
const RECONNECT_EVERY_MS = 1000; // a dropped connection is tried again this often ...
const RECONNECT_FOR_MS = 30000; // ... for as long as the server holds the call (`[server] resume_seconds`)
const ENDED_ON_PURPOSE = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1011, 1013]; // a close the server meant: no reconnecting
const STAGES = [["endpoint", "endpoint_wait_ms"], ["stt", "stt_ms"], ["dialogue", "dialogue_ms"], ["tts", "tts_ms"]];

const $ = (id) => document.getElementById(id);

// A client id kept in localStorage, so Parley's memory knows a returning browser.
function clientId() {
  let id = localStorage.getItem("parley-client-id");
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(16)); // randomUUID needs a secure context
    id = "browser-" + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    localStorage.setItem("parley-client-id", id);
  }
  return id;
}

// Reply audio: each frame scheduled right after the one before; a flush stops all of it.
class Player {
  constructor(context, rate) {
    this.context = context;
    this.rate = rate;
    this.segments = []; // {source, start, duration} not yet fully played
    this.playedBefore = 0; // seconds of the segments already dropped from the list
    this.nextStart = 0;
    this.received = 0;
    this.volume = context.createGain(); // ducked while the caller talks over a reply
    this.volume.connect(context.destination);
  }

  enqueue(pcm) {
    const samples = new Int16Array(pcm);
    if (samples.length === 0) return;
    const buffer = this.context.createBuffer(1, samples.length, this.rate);
    const channel = buffer.getChannelData(0);
    for (let i = 0; i < samples.length; i++) channel[i] = samples[i] / 32768;
    const source = this.context.createBufferSource();
    source.buffer = buffer;
    source.connect(this.volume);
    const start = Math.max(this.nextStart, this.context.currentTime + JITTER_SECONDS);
    source.start(start);
    this.nextStart = start + buffer.duration;
    this.segments.push({ source, start, duration: buffer.duration });
    this.received += buffer.duration;
  }

  played() {
    const now = this.context.currentTime;
    while (this.segments.length && this.segments[0].start + this.segments[0].duration <= now) {
      this.playedBefore += this.segments.shift().duration;
    }
    const playing = this.segments.length ? Math.max(0, now - this.segments[0].start) : 0;
    return this.playedBefore + Math.min(playing, this.segments.length ? this.segments[0].duration : 0);
  }

  busy() {
    return this.segments.length > 0;
  }

  // Queued audio included: a caller who says "mhm" hears the reply go quiet at once.
  duck(gain) {
    this.volume.gain.setTargetAtTime(gain, this.context.currentTime, 0.02);
  }

  // The server says where playback stands once the rest is dropped; count on from there.
  flush(played) {
    for (const segment of this.segments) segment.source.stop();
    this.segments = [];
    this.playedBefore = played;
    this.nextStart = 0;
  }
}

class Conversation {
  constructor(element) {
    this.element = element;
    this.user = null; // the user's line being transcribed
    this.agent = null; // Parley's line being spoken
  }

  line(role) {
    const div = document.createElement("div");
    div.className = `line ${role}`;
    this.element.append(div);
    div.scrollIntoView({ block: "end" });
    return div;
  }

  transcript(text, final) {
    this.user ??= this.line("user partial");
    this.user.textContent = text;
    this.user.classList.toggle("partial", !final);
    if (final) {
      this.user = null;
      this.agent = null;
    }
  }

  agentSaid(text) {
    this.agent ??= this.line("agent");
    // The words in a span of their own: the latency bar, appended after the first piece, stays.
    this.agent.words ??= this.agent.appendChild(document.createElement("span"));
    this.agent.words.textContent = (this.agent.words.textContent + " " + text).trim();
  }

  // "mhm" over the reply: shown, but Parley's line goes on.
  backchannel(text) {
    this.line("user backchannel").textContent = text;
  }

  interrupted() {
    this.agent?.classList.add("interrupted");
    this.agent = null;
  }

  latency(trace) {
    const row = document.createElement("div");
    row.className = "latency";
    const bar = document.createElement("div");
    bar.className = "bar";
    for (const [stage, key] of STAGES) {
      const span = document.createElement("span");
      span.className = stage;
      span.title = `${stage}: ${Math.round(trace[key])} ms`;
      span.style.width = `${trace[key] / MS_PER_PIXEL}px`;
      bar.append(span);
    }
    row.append(bar, `${Math.round(trace.total_ms)} ms`);
    (this.agent ?? this.line("agent")).append(row);
  }
}

class Call {
  constructor() {
    this.conversation = new Conversation($("conversation"));
    this.socket = null;
    this.session = null; // the call's id, once ready: a dropped connection resumes it
    this.droppedAt = null; // when the connection dropped, while reconnecting
  }

  async start() {
    $("error").hidden = true;
    this.setConnection("connecting", "connecting…");
    const stream = await navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: true, autoGainControl: true, channelCount: 1 },
    });
    this.capture = await this.captureContext(stream);
    this.playback = new AudioContext();
    await this.playback.resume();
    this.stream = stream;
    this.connect();
  }

  async captureContext(stream) {
    let context;
    try {
      context = new AudioContext({ sampleRate: CAPTURE_RATE });
    } catch {
      context = new AudioContext(); // the server resamples whatever rate hello declares
    }
    await context.audioWorklet.addModule("capture.js");
    const worklet = new AudioWorkletNode(context, "parley-capture");
    worklet.port.onmessage = ({ data }) => this.captured(data);
    const mute = context.createGain();
    mute.gain.value = 0; // the worklet must be pulled by the graph, but not heard
    context.createMediaStreamSource(stream).connect(worklet).connect(mute).connect(context.destination);
    await context.resume();
    return context;
  }

  connect() {
    const params = new URLSearchParams(location.search);
    const scheme = location.protocol === "https:" ? "wss:" : "ws:";
    const socket = new WebSocket(`${scheme}//${location.host}${location.pathname.replace(/[^/]*$/, "")}ws${location.search}`);
    socket.binaryType = "arraybuffer";
    socket.onopen = () => socket.send(JSON.stringify({
      type: "hello", version: PROTOCOL_VERSION, client_id: clientId(), token: params.get("token") ?? "",
      audio: { rate: this.capture.sampleRate, width: 2, channels: 1 }, ...(this.session ? { resume: this.session } : {}),
    }));
    socket.onmessage = ({ data }) => (typeof data === "string" ? this.handle(JSON.parse(data)) : this.player?.enqueue(data));
    socket.onclose = ({ code, reason }) => this.dropped(code, reason);
    this.socket = socket;
    clearInterval(this.reporter);
    this.reporter = setInterval(() => this.report(), REPORT_EVERY_MS);
  }

  // A connection lost mid-call (a phone changing networks) is tried again, the call resumed where it was.
  dropped(code, reason) {
    const reconnecting = this.session && !this.ended && !ENDED_ON_PURPOSE.includes(code);
    if (!reconnecting || Date.now() - (this.droppedAt ?? Date.now()) > RECONNECT_FOR_MS) {
      this.closed(code, reason);
      return;
    }
    this.droppedAt ??= Date.now();
    this.socket = null;
    this.setConnection("reconnecting", "connection lost: reconnecting…");
    this.retry = setTimeout(() => this.connect(), RECONNECT_EVERY_MS);
  }

  captured({ pcm, level }) {
    $("level").style.width = `${Math.min(100, level * 400)}%`;
    if (this.player && this.socket?.readyState === WebSocket.OPEN) this.socket.send(pcm);
  }

  report() {
    const open = this.socket?.readyState === WebSocket.OPEN;
    if (open && this.player && (this.player.busy() || this.player.reported !== this.player.played())) {
      const seconds = this.player.played();
      this.player.reported = seconds;
      this.socket.send(JSON.stringify({ type: "played", seconds }));
    }
    $("stats").textContent = this.player ? `reply audio received: ${this.player.received.toFixed(1)} s` : "";
    $("stats").dataset.seconds = this.player?.received ?? 0;
  }

  handle(message) {
    switch (message.type) {
      case "ready":
        this.player ??= new Player(this.playback, message.audio.rate); // a resumed call plays on where it was
        this.setConnection("open", this.droppedAt ? "reconnected" : "connected");
        this.session = message.session;
        this.droppedAt = null;
        $("talk").textContent = "Hang up";
        break;
      case "state":
        $("state").textContent = message.state;
        $("state").dataset.state = message.state;
        break;
      case "transcript":
        this.conversation.transcript(message.text, message.final);
        break;
      case "agent":
        this.conversation.agentSaid(message.text);
        break;
      case "turn":
        this.conversation.latency(message.latency);
        break;
      case "flush":
        this.player?.flush(message.played);
        break;
      case "barge_in":
        this.conversation.interrupted();
        break;
      case "backchannel":
        this.conversation.backchannel(message.text);
        break;
      case "duck":
        this.player?.duck(message.gain);
        break;
      case "error":
        this.showError(`${message.code}: ${message.message}`);
        break;
      case "end":
        this.ended = true;
        $("state").textContent = "call ended";
        break;
    }
  }

  hangUp() {
    this.ended = true;
    clearTimeout(this.retry);
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "bye" }));
    this.socket?.close(1000);
    if (!this.socket) this.closed(1000, ""); // hung up while reconnecting
  }

  closed(code, reason) {
    clearInterval(this.reporter);
    clearTimeout(this.retry);
    this.session = this.droppedAt = null;
    this.ended = false;
    this.stream?.getTracks().forEach((track) => track.stop());
    this.capture?.close();
    this.player?.flush(0);
    this.player = null;
    this.socket = null;
    this.setConnection("closed", code === 1000 ? "call ended" : `closed (${code}${reason ? ": " + reason : ""})`);
    $("talk").textContent = "Start talking";
    $("level").style.width = "0";
  }

  setConnection(state, text) {
    $("connection").dataset.state = state;
    $("connection").textContent = text;
  }

  showError(text) {
    $("error").textContent = text;
    $("error").hidden = false;
  }
}

const call = new Call();
$("talk").addEventListener("click", () => {
  if (call.socket || call.session) {
    call.hangUp();
  } else {
    call.start().catch((error) => {
      call.setConnection("error", "no microphone");
      call.showError(`${error.name}: ${error.message}`);
    });
  }
});
