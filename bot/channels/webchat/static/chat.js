(() => {
  const T = document.body.dataset;  // the page's words, in its language, from the server's template
  // The server issues the session (an HttpOnly cookie) and names its chat: nothing here picks a chat id.
  let api = null;
  async function openSession() {
    const r = await fetch("/api/sessions", {method: "POST", credentials: "same-origin"});
    const data = await r.json();
    useChat(data.chat_id);
  }
  function useChat(chatId) { api = `/api/chats/${chatId}/messages`; document.body.dataset.chat = chatId; }
  const log = document.getElementById("log"), input = document.getElementById("input");
  let lastId = 0, secret = false, busy = false, pending = 0;

  function bubble(text, who) {
    const div = document.createElement("div");
    div.className = "msg " + who;
    div.textContent = text;
    log.appendChild(div);
    log.scrollTop = log.scrollHeight;
    return div;
  }
  function show(reply) {
    if (reply.id && reply.id <= lastId) return;
    if (reply.id) lastId = reply.id;
    const div = bubble(reply.text, "bot");
    if (reply.image_url) {
      // A QR is scrolled fully into view once its picture has its size (a checkpoint scans it off the screen).
      const img = document.createElement("img"); img.src = reply.image_url; img.alt = "QR";
      img.onload = () => div.scrollIntoView({block: "end"});
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
        b.onclick = () => send({button: c.payload}, c.label); box.appendChild(b);
      }
      div.appendChild(box);
    }
    secret = !!reply.secret_prompt;
    input.type = secret ? "password" : "text";
    // Digits and dates open the number keypad on a phone; a phone number the telephone keypad.
    input.inputMode = reply.keypad || "text";
    // The SMS code, a password to remember or to fill in: what the phone's keyboard and password manager offer.
    input.autocomplete = reply.autocomplete || "off";
    input.placeholder = secret ? T.secretPlaceholder : T.placeholder;
    log.scrollTop = log.scrollHeight;
  }
  // Messages typed or pressed while an answer is on its way wait their turn: none is dropped, order is kept.
  let queue = Promise.resolve();
  function send(body, shown) {
    bubble(secret && body.text !== undefined ? T.hidden : shown, "me");
    body.client_id = crypto.randomUUID();
    busy = true;
    pending += 1;
    queue = queue.then(async () => {
      try {
        const r = await fetch(api, {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
        const data = await r.json();
        if (data.chat_id) useChat(data.chat_id);  // a log-out: a new chat, the old one is gone
        (data.replies || []).forEach(show);
      } catch (e) { /* the next poll shows what the server answered */ }
      finally { pending -= 1; busy = pending > 0; input.focus(); }
    });
    return queue;
  }
  async function poll() {
    try {
      const r = await fetch(`${api}?after=${lastId}`);
      if (r.ok) (await r.json()).messages.forEach(show);
    } catch (e) { /* offline for a moment: the next poll catches up */ }
  }
  // A picture (a QR to verify) or a file (a site's records) goes as it is; the answer comes like any other.
  const attach = document.getElementById("attach");
  attach.addEventListener("change", () => {
    const file = attach.files && attach.files[0];
    if (!file) return;
    const part = file.type.startsWith("image/") ? "photo" : "document";
    bubble("📎 " + file.name, "me");
    pending += 1; busy = true;
    queue = queue.then(async () => {
      try {
        const form = new FormData();
        form.append(part, file, file.name);
        form.append("client_id", crypto.randomUUID());
        const r = await fetch(api, {method: "POST", body: form});
        const data = await r.json();
        (data.replies || []).forEach(show);
      } catch (e) { /* the next poll shows what the server answered */ }
      finally { pending -= 1; busy = pending > 0; attach.value = ""; }
    });
  });
  document.getElementById("form").addEventListener("submit", ev => {
    ev.preventDefault();
    const text = input.value;
    if (!text.trim()) return;
    input.value = "";
    send({text}, text);
  });
  openSession().then(poll).then(() => { if (lastId === 0) send({text: "/start"}, T.start); });
  setInterval(() => { if (!busy && api) poll(); }, 3000);
})();
