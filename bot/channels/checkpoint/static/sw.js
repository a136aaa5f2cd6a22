// The scanner's service worker: the page, its scripts, the decoder and the last data kept on the device, so that
// scanning works with the network off. Always the network first (an update is seen at once), the copy otherwise.
// The data (the trust list and the withdrawn credentials) is kept only while the device is signed in.
//
// The withdrawn list grows with every dose a province gives: after the first, a sync asks only for what was
// withdrawn since the list it kept (?since=) and adds it; once a day the whole list again (the expired dropped).
//
//   page ─GET data.json─▶ worker ─?since=kept.generated_at─▶ server ─{full: false, superseded: [new…]}─┐
//   page ◀──── kept ∪ new, kept for offline ◀─────────────────────────────────────────────────────────┘
"use strict";
const CACHE = "sskdt-kiemtra-v1";
const DATA = "/kiemtra/data.json";
const WHOLE_EVERY_MS = 24 * 3600 * 1000;
const SHELL = ["/kiemtra", "/kiemtra/scanner.js", "/kiemtra/verify.js", "/kiemtra/scanner.css",
               "/kiemtra/vendor/zxing-wasm/zxing-reader.iife.js", "/kiemtra/vendor/zxing-wasm/zxing_reader.wasm"];

self.addEventListener("install", event => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL);
    try {  // the data too, when this device is signed in (the page fetched it before this worker was there)
      await syncData(cache);
    } catch (e) { /* offline: the page's next sync keeps it */ }
    await self.skipWaiting();
  })());
});
self.addEventListener("activate", event => {
  event.waitUntil(caches.keys()
    .then(names => Promise.all(names.filter(n => n !== CACHE).map(n => caches.delete(n))))
    .then(() => self.clients.claim()));
});
self.addEventListener("fetch", event => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin || !url.pathname.startsWith("/kiemtra")) return;
  if (url.pathname.startsWith("/kiemtra/mo/")) return;  // a one-time link: the network only
  if (url.pathname === DATA) {
    event.respondWith(caches.open(CACHE).then(syncData));
    return;
  }
  const key = url.pathname === "/kiemtra/" ? "/kiemtra" : url.pathname;
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    try {
      const response = await fetch(event.request);
      if (response.ok) await cache.put(key, response.clone());
      else if (response.status === 401) await cache.delete(key);  // signed out: nothing kept to scan with
      return response;
    } catch (e) {
      const kept = await cache.match(key);
      if (kept) return kept;
      throw e;
    }
  })());
});

// The data from the network, merged into the copy kept (or the copy when offline); what the page receives is
// always the whole list, as if it had been sent whole.
async function syncData(cache) {
  const keptResponse = await cache.match(DATA);
  let kept = null;
  try { kept = keptResponse ? await keptResponse.clone().json() : null; } catch (e) { kept = null; }
  const recent = kept && kept.generated_at && kept.whole_at && Date.now() - kept.whole_at < WHOLE_EVERY_MS;
  const url = recent ? DATA + "?since=" + encodeURIComponent(kept.generated_at) : DATA;
  let response;
  try {
    response = await fetch(url, {credentials: "same-origin", cache: "no-store"});
  } catch (e) {
    if (keptResponse) return keptResponse;
    throw e;
  }
  if (response.status === 401) {  // signed out: nothing kept to scan with
    await cache.delete(DATA);
    return response;
  }
  if (!response.ok) return keptResponse || response;
  const data = await response.json();
  if (data.full || !recent) {
    data.whole_at = Date.now();
  } else {
    for (const list of ["superseded", "revoked"]) {
      data[list] = Array.from(new Set([...(kept[list] || []), ...(data[list] || [])]));
    }
    data.whole_at = kept.whole_at;
  }
  const merged = new Response(JSON.stringify(data), {headers: {"Content-Type": "application/json"}});
  await cache.put(DATA, merged.clone());
  return merged;
}
