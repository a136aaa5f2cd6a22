(() => {
  // The page's words in every language, from the server's template: they follow the chat's language.
  const WORDS = JSON.parse(document.getElementById("words").textContent);
  let lang = document.body.dataset.lang, W = WORDS[lang];
  const $ = id => document.getElementById(id);
  const log = $("log"), input = $("input");
  function useLanguage(code) {
    if (!code || code === lang || !WORDS[code]) return;
    lang = code; W = WORDS[code];
    document.documentElement.lang = code; document.title = W.title;
    $("service-name").textContent = W.service_name; $("hotline-label").textContent = W.hotline_label;
    $("privacy").textContent = W.privacy_link; $("privacy").href = `/privacy?lang=${code}`;
    $("send").textContent = W.send; $("attach-label").title = W.attach; $("attach").ariaLabel = W.attach;
    input.setAttribute("aria-label", W.placeholder);
    input.placeholder = secret ? W.secret_placeholder : W.placeholder;
  }

  // The server issues the session (an HttpOnly cookie) and names its chat: nothing here picks a chat id.
  let api = null;
  async function openSession() {
    const r = await fetch("/api/sessions", {method: "POST", credentials: "same-origin"});
    const data = await r.json();
    useChat(data.chat_id);
  }
  function useChat(chatId) { api = `/api/chats/${chatId}/messages`; document.body.dataset.chat = chatId; }
  let lastId = 0, secret = false, busy = false, pending = 0, ended = false;

  // The view follows the conversation unless the person scrolled up to read: then it stays where they are.
  // Only a scroll upwards is the person's; a picture growing below the view moves nothing by itself.
  let following = true, lastTop = 0;
  log.addEventListener("scroll", () => {
    if (log.scrollTop + log.clientHeight >= log.scrollHeight - 48) following = true;
    else if (log.scrollTop < lastTop) following = false;
    lastTop = log.scrollTop;
  });
  function follow() { if (following) log.scrollTop = log.scrollHeight; }

  function bubble(text, who) {
    const div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;
    log.appendChild(div);
    following = true; follow();
    return div;
  }
  function show(reply) {
    if (reply.id && reply.id <= lastId) return;
    if (reply.id) lastId = reply.id;
    if (reply.mine) { bubble(reply.hidden ? W.hidden : reply.text, "me"); return; }  // read back after a reload
    useLanguage(reply.locale);
    const div = bubble(reply.text, "bot");
    if (reply.image_url) {
      // A QR is scrolled fully into view once its picture has its size (a checkpoint scans it off the screen);
      // pictures higher up that load later keep the view at the end.
      const img = document.createElement("img"); img.src = reply.image_url; img.alt = "QR";
      img.onload = () => {
        if (!following) return;
        const bots = log.querySelectorAll(".msg.bot");
        if (div === bots[bots.length - 1]) div.scrollIntoView({block: "end"});
        follow();
      };
      div.appendChild(img);
    }
    if (reply.document_url) {
      const a = document.createElement("a"); a.href = reply.document_url; a.download = reply.document_name || "";
      a.className = "document"; a.textContent = "📎 " + (reply.document_name || reply.document_url);
      div.appendChild(a);
    }
    if (reply.choices && reply.choices.length) {
      // Only a new question retires the old buttons: a push (a new QR) leaves the current ones usable, and a
      // notice's own answers ("Tôi sẽ đến") stay with the notice.
      if (!reply.detached) document.querySelectorAll(".choices:not(.detached)").forEach(c => c.remove());
      const box = document.createElement("div"); box.className = reply.detached ? "choices detached" : "choices";
      for (const c of reply.choices) {
        const b = document.createElement("button"); b.type = "button"; b.textContent = c.label;
        b.onclick = () => send({button: c.payload, label: c.label}, c.label); box.appendChild(b);
      }
      div.appendChild(box);
    }
    secret = !!reply.secret_prompt;
    input.type = secret ? "password" : "text";
    // Digits and dates open the number keypad on a phone; a phone number the telephone keypad.
    input.inputMode = reply.keypad || "text";
    // The SMS code, a password to remember or to fill in: what the phone's keyboard and password manager offer.
    input.autocomplete = reply.autocomplete || "off";
    input.placeholder = secret ? W.secret_placeholder : W.placeholder;
    follow();
  }

  // A session that ended elsewhere (a log-out or a log-in in another tab): said, with a way to carry on.
  function sessionEnded() {
    if (ended) return;
    ended = true;
    const div = bubble(W.ended, "bot notice");
    const box = document.createElement("div"); box.className = "choices";
    const b = document.createElement("button"); b.type = "button"; b.textContent = W.restart;
    b.onclick = () => { log.replaceChildren(); lastId = 0; ended = false; start(); };
    box.appendChild(b); div.appendChild(box);
  }
  async function answered(r) {
    if (r.status === 404) { sessionEnded(); return null; }
    return r.json();
  }

  // Messages typed or pressed while an answer is on its way wait their turn: none is dropped, order is kept.
  let queue = Promise.resolve();
  function send(body, shown) {
    if (ended) return queue;
    bubble(secret && body.text !== undefined ? W.hidden : shown, "me");
    body.client_id = crypto.randomUUID();
    busy = true;
    pending += 1;
    queue = queue.then(async () => {
      try {
        const r = await fetch(api, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
        const data = await answered(r);
        if (!data) return;
        if (data.chat_id) {  // a log-out: a new chat; what the old one showed (a QR, a name) leaves the screen
          useChat(data.chat_id);
          log.replaceChildren();
        }
        (data.replies || []).forEach(show);
      } catch (e) { /* the next poll shows what the server answered */ }
      finally { pending -= 1; busy = pending > 0; input.focus(); }
    });
    return queue;
  }
  async function poll() {
    try {
      const r = await fetch(`${api}?after=${lastId}`);
      const data = await answered(r);
      if (data) data.messages.forEach(show);
    } catch (e) { /* offline for a moment: the next poll catches up */ }
  }
  // A picture (a QR to verify) or a file (a site's records) goes as it is; the answer comes like any other.
  const attach = $("attach");
  attach.addEventListener("change", () => {
    const file = attach.files && attach.files[0];
    if (!file || ended) return;
    const part = file.type.startsWith("image/") ? "photo" : "document";
    bubble("📎 " + file.name, "me");
    pending += 1; busy = true;
    queue = queue.then(async () => {
      try {
        const form = new FormData();
        form.append(part, file, file.name);
        form.append("client_id", crypto.randomUUID());
        const r = await fetch(api, {method: "POST", body: form});
        const data = await answered(r);
        if (data) (data.replies || []).forEach(show);
      } catch (e) { /* the next poll shows what the server answered */ }
      finally { pending -= 1; busy = pending > 0; attach.value = ""; }
    });
  });
  $("form").addEventListener("submit", ev => {
    ev.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    send({text}, text);
  });
  function start() {
    return openSession().then(poll).then(() => { if (lastId === 0) send({text: "/start", label: W.start}, W.start); });
  }
  start();
  setInterval(() => { if (!busy && api && !ended) poll(); }, 3000);
})();
