// A short alarm beep through WebAudio: no sound file, nothing to download.
// Browsers start audio only after a user gesture (their autoplay rule): an
// AudioContext made before one stays "suspended". soundBlocked() says so,
// and unlockSound(), called from a click, lets it play.
let ctx = null;

function context() {
  if (!ctx) {
    const AC = window.AudioContext || window.webkitAudioContext;
    if (!AC) return null;
    try {
      ctx = new AC();
    } catch {
      return null;
    }
  }
  return ctx;
}

// Whether the browser refuses to play now (no user gesture yet).
export function soundBlocked() {
  const c = context();
  return !!c && c.state !== 'running';
}

// From a click or key press: the gesture the browser waits for. Resolves
// once the browser let the sound play (or refused: soundBlocked() says).
export async function unlockSound() {
  const c = context();
  if (!c || c.state === 'running') return;
  try {
    await c.resume();
  } catch {
    // Still refused: the prompt stays.
  }
}

// Plays the beep; false when the browser refused it (the caller asks for a click).
export function beep() {
  try {
    const c = context();
    if (!c) return true; // no audio device: the banner is the alarm
    if (c.state !== 'running') {
      c.resume().catch(() => {});
      if (c.state !== 'running') return false;
    }
    const t = c.currentTime;
    const osc = c.createOscillator();
    const gain = c.createGain();
    osc.type = 'square';
    osc.frequency.setValueAtTime(880, t);
    osc.frequency.setValueAtTime(660, t + 0.15);
    gain.gain.setValueAtTime(0.0001, t);
    gain.gain.exponentialRampToValueAtTime(0.2, t + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.35);
    osc.connect(gain).connect(c.destination);
    osc.start(t);
    osc.stop(t + 0.4);
    return true;
  } catch {
    return true; // no audio device: the banner is the alarm
  }
}
