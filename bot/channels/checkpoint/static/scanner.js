// The checkpoint scanner: the back camera, a code found anywhere in the frame, verified on the device
// (verify.js), the verdict full screen with a sound and a vibration; the next scan starts by itself.
//
//   camera ─▶ frame (canvas) ─▶ ZXing (WebAssembly) ─▶ text ─▶ SSKDTVerify.verify(text, trust) ─▶ verdict
//                                                                 ▲ the data synced when online (sw.js keeps it)
"use strict";
(() => {
  const WORDS = JSON.parse(document.getElementById("words").textContent);
  const W = WORDS[document.body.dataset.lang] || WORDS.vi;
  const $ = id => document.getElementById(id);
  const video = $("video"), status = $("status"), shown = $("verdict");
  const NEXT_AFTER_MS = 3000, SYNC_EVERY_MS = 5 * 60 * 1000, REPORT_EVERY_MS = 30 * 1000;
  let trust = null, dataAt = null, busy = false, showing = false, lastText = "", lastAt = 0;
  const counts = JSON.parse(localStorage.getItem("sskdt-counts") || "{}");  // numbers by verdict, never who
  window.sskdtTimings = [];  // decode and verify times of each verdict (the test and the bench read them)

  $("start").textContent = W.camera; $("pick-label").textContent = W.pick_photo; $("v-next").textContent = W.next;

  ZXingWASM.prepareZXingModule({overrides: {locateFile: (path, prefix) =>
    path.endsWith(".wasm") ? "/kiemtra/vendor/zxing-wasm/zxing_reader.wasm" : prefix + path}, fireImmediately: true});
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/kiemtra/sw.js", {scope: "/kiemtra"});
    navigator.serviceWorker.addEventListener("controllerchange", () => sync());  // kept by the worker from now
  }

  // ---- the data: the trust list and the withdrawn credentials --------------------------------------------
  function ago(iso) {
    const minutes = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 60000));
    if (minutes < 1) return W.just_now;
    if (minutes < 60) return W.minutes.replace("{n}", minutes);
    if (minutes < 48 * 60) return W.hours.replace("{n}", Math.round(minutes / 60));
    return W.days.replace("{n}", Math.round(minutes / 1440));
  }
  function header() {
    $("net").textContent = navigator.onLine ? W.online : W.offline;
    $("age").textContent = dataAt ? W.data_age.replace("{ago}", ago(dataAt)) : W.data_none;
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    $("tally").textContent = W.scans.replace("{n}", total);
  }
  async function sync() {
    try {
      const r = await fetch("/kiemtra/data.json", {credentials: "same-origin", cache: "no-store"});
      if (r.status === 401) { trust = null; dataAt = null; status.textContent = W.signed_out; header(); return; }
      if (!r.ok) return;
      const data = await r.json();
      trust = await SSKDTVerify.trustFrom(data);
      dataAt = data.generated_at;
      await SSKDTVerify.warm(trust);
      window.sskdtData = {generated_at: dataAt, superseded: data.superseded.length, revoked: data.revoked.length};
      if (status.textContent === W.signed_out || status.textContent === W.data_none) status.textContent = "";
    } catch (e) { /* offline and nothing kept: said in the header */ }
    header();
  }
  async function report() {
    if (!navigator.onLine || !Object.keys(counts).length) return;
    const sent = {...counts};
    try {
      const r = await fetch("/kiemtra/counts", {method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({counts: sent})});
      if (r.ok) {
        for (const [k, v] of Object.entries(sent)) { counts[k] -= v; if (!counts[k]) delete counts[k]; }
        localStorage.setItem("sskdt-counts", JSON.stringify(counts));
      }
    } catch (e) { /* next time */ }
  }

  // ---- a verdict ---------------------------------------------------------------------------------------------
  function day(iso) { const [y, m, d] = (iso || "").split("-"); return d ? `${d}/${m}/${y}` : iso || "-"; }
  // One audio context for every verdict (making one costs tens of milliseconds); a browser may keep it silent
  // until the officer's first tap, which resumes it.
  let audio = null;
  try { audio = new AudioContext(); } catch (e) { /* no sound on this device */ }
  document.addEventListener("pointerdown", () => audio && audio.resume(), {once: true});
  function beep(good) {
    if (audio) {
      const tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = good ? 880 : 220; gain.gain.value = 0.2;
      tone.connect(gain).connect(audio.destination); tone.start(); tone.stop(audio.currentTime + (good ? 0.15 : 0.45));
    }
    if (navigator.vibrate) navigator.vibrate(good ? 80 : [200, 100, 200]);
  }
  function show(result) {
    const good = result.kind === "valid";
    shown.className = good ? `valid ${result.level}` : "invalid";
    shown.dataset.kind = result.kind;
    $("v-word").textContent = W[`verdict_${result.kind}`] + (good ? ` · ${W[`level_${result.level}`]}` : "");
    $("v-name").textContent = result.name || "";
    $("v-born").textContent = result.birthDate ? W.born.replace("{date}", day(result.birthDate)) : "";
    $("v-doses").textContent = result.doses ? W.dose_line.replace("{n}", result.doses)
      .replace("{of}", result.series || "?").replace("{date}", day(result.given)) : (result.name ? W.doses : "");
    $("v-reason").textContent = good ? "" : (result.reason ? `(${result.reason})` : "");
    shown.hidden = false; showing = true;
    counts[result.kind] = (counts[result.kind] || 0) + 1;
    localStorage.setItem("sskdt-counts", JSON.stringify(counts));
    header(); beep(good);
    clearTimeout(show.timer); show.timer = setTimeout(next, NEXT_AFTER_MS);
  }
  function next() { shown.hidden = true; showing = false; }
  $("v-next").onclick = next; shown.onclick = next;

  async function check(text, started, decoded) {
    if (!trust) { status.textContent = dataAt === null ? W.data_none : W.signed_out; return; }
    const result = await SSKDTVerify.verify(text, trust);
    const verified = performance.now();
    show(result);
    const done = performance.now();
    window.sskdtTimings.push({kind: result.kind, decode_ms: decoded - started, verify_ms: verified - decoded,
                              show_ms: done - verified, total_ms: done - started, since_load_ms: done});
  }

  // ---- the camera: a frame every animation frame while nothing is shown ------------------------------------
  const canvas = document.createElement("canvas"), context = canvas.getContext("2d", {willReadFrequently: true});
  async function frame() {
    if (!busy && !showing && video.readyState >= 2 && video.videoWidth) {
      busy = true;
      try {
        const started = performance.now();
        const scale = Math.min(1, 960 / Math.max(video.videoWidth, video.videoHeight));
        canvas.width = Math.round(video.videoWidth * scale); canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        const found = await ZXingWASM.readBarcodes(context.getImageData(0, 0, canvas.width, canvas.height),
                                                  {formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1});
        const decoded = performance.now();
        const text = found.length && found[0].isValid ? found[0].text : "";
        // The same code held in front of the camera is one scan, not one a frame.
        if (text && (text !== lastText || Date.now() - lastAt > NEXT_AFTER_MS + 2000)) {
          lastText = text; lastAt = Date.now();
          await check(text, started, decoded);
        } else if (text) { lastAt = Date.now(); }
      } catch (e) { /* a frame the decoder could not read: the next one */ }
      busy = false;
    }
    requestAnimationFrame(frame);
  }
  async function camera() {
    try {
      const stream = await navigator.mediaDevices.getUserMedia(
        {video: {facingMode: {ideal: "environment"}, width: {ideal: 1280}, height: {ideal: 720}}, audio: false});
      video.srcObject = stream; await video.play();
      $("start").hidden = true; status.textContent = trust ? "" : status.textContent;
    } catch (e) { status.textContent = W.no_camera; $("start").hidden = false; }
  }
  $("start").onclick = camera;

  // ---- a photo or a screenshot ---------------------------------------------------------------------------------
  $("photo").addEventListener("change", async () => {
    const file = $("photo").files && $("photo").files[0];
    if (!file) return;
    const started = performance.now();
    try {
      const found = await ZXingWASM.readBarcodes(file, {formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1});
      const decoded = performance.now();
      if (found.length && found[0].isValid) await check(found[0].text, started, decoded);
      else status.textContent = W.no_code;
    } catch (e) { status.textContent = W.no_code; }
    $("photo").value = "";
  });

  window.addEventListener("online", () => { sync(); report(); });
  window.addEventListener("offline", header);
  setInterval(() => { if (navigator.onLine) sync(); }, SYNC_EVERY_MS);
  setInterval(report, REPORT_EVERY_MS);
  setInterval(header, 60 * 1000);
  sync().then(camera).then(() => requestAnimationFrame(frame));
})();
