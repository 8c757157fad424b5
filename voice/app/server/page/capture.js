// The microphone's AudioWorklet: 20 ms blocks of 16-bit PCM, each with its level, posted to the page.
class Capture extends AudioWorkletProcessor {
  constructor() {
    super();
    this.size = Math.round(sampleRate * 0.02);
    this.block = new Int16Array(this.size);
    this.filled = 0;
    this.energy = 0;
  }

  process(inputs) {
    const channel = inputs[0][0];
    if (!channel) return true; // no input yet: keep the processor alive
    for (const sample of channel) {
      const s = Math.max(-1, Math.min(1, sample));
      this.block[this.filled++] = s < 0 ? s * 32768 : s * 32767;
      this.energy += s * s;
      if (this.filled === this.size) this.post();
    }
    return true;
  }

  post() {
    const level = Math.sqrt(this.energy / this.size);
    // The buffer is transferred, not copied: the audio thread must never wait on the page.
    this.port.postMessage({ pcm: this.block.buffer, level }, [this.block.buffer]);
    this.block = new Int16Array(this.size); // the old one went with the message
    this.filled = 0;
    this.energy = 0;
  }
}

registerProcessor("parley-capture", Capture);
