// The scanner's service worker: the page, its scripts, the decoder and the last data kept on the device, so that
// scanning works with the network off. Always the network first (an update is seen at once), the copy otherwise.
// The data (the trust list and the withdrawn credentials) is kept only while the device is signed in.
"use strict";
const CACHE = "sskdt-kiemtra-v1";
const SHELL = ["/kiemtra", "/kiemtra/scanner.js", "/kiemtra/verify.js", "/kiemtra/scanner.css",
               "/kiemtra/vendor/zxing-wasm/zxing-reader.iife.js", "/kiemtra/vendor/zxing-wasm/zxing_reader.wasm"];

self.addEventListener("install", event => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(SHELL);
    try {  // the data too, when this device is signed in (the page fetched it before this worker was there)
      const data = await fetch("/kiemtra/data.json", {credentials: "same-origin", cache: "no-store"});
      if (data.ok) await cache.put("/kiemtra/data.json", data);
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
